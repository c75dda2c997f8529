"""Reading the pages the app renders: every <form> with its fields, as a browser would submit it."""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

# Input types whose value is free text to a probe (type="password" is never echoed back, by design;
# type="color" is a picker in a browser, but any text can be posted).
TEXT_TYPES = {"text", "email", "tel", "search", "url", "color", ""}


@dataclass
class Field:
    name: str
    kind: str  # "text", "textarea", "password", "hidden", "checkbox", "radio", "select", other input types
    value: str = ""
    checked: bool = False


@dataclass
class Form:
    action: str
    method: str
    fields: list[Field] = field(default_factory=list)

    @property
    def text_fields(self) -> list[str]:
        """Names of the fields a person types text into, each once, in page order."""
        names = [f.name for f in self.fields if f.kind in ("text", "textarea")]
        return list(dict.fromkeys(names))

    def data(self) -> list[tuple[str, str]]:
        """What submitting the form unchanged sends (checked boxes, selected options, values)."""
        sent = []
        for f in self.fields:
            if f.kind in ("checkbox", "radio") and not f.checked:
                continue
            sent.append((f.name, f.value))
        return sent


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: Field | None = None
        self._select: Field | None = None
        self._first_option: str | None = None
        self._inert = 0  # inside <template>: content a script clones, never submitted as it is

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "template":
            self._inert += 1
        if self._inert:
            return
        if tag == "form":
            self._form = Form(action=attributes.get("action", ""), method=attributes.get("method", "get").lower())
            self.forms.append(self._form)
        if self._form is None or ("name" not in attributes and tag != "option"):
            return
        if tag == "input":
            kind = attributes.get("type", "text").lower()
            kind = "text" if kind in TEXT_TYPES else kind
            if "readonly" in attributes or "disabled" in attributes:
                kind = "readonly"  # shown, not typed into (an account's user ID once registered)
            default = "on" if kind in ("checkbox", "radio") else ""
            self._form.fields.append(Field(attributes["name"], kind, attributes.get("value", default),
                                           "checked" in attributes))
        elif tag == "textarea":
            self._textarea = Field(attributes["name"], "textarea")
            self._form.fields.append(self._textarea)
        elif tag == "select":
            self._select = Field(attributes["name"], "select")
            self._first_option = None
            self._form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            value = attributes.get("value", "")
            if self._first_option is None:
                self._first_option = value
                self._select.value = value
            if "selected" in attributes:
                self._select.value = value

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "template":
            self._inert = max(0, self._inert - 1)
        elif self._inert:
            return
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None


def forms(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def field_values(html: str, name: str) -> list[str]:
    """The values the page shows for field ``name`` (inputs' value, textareas' text), decoded."""
    return [f.value for form in forms(html) for f in form.fields if f.name == name]
