"""The service menu (ポイント表): categories of typical work, each with its points.

The agency admin keeps it; every account reads it. A stopped item leaves the menu; estimates
already made keep the name and points they were made with.
"""
from __future__ import annotations

from dataclasses import dataclass
import unicodedata
from datetime import datetime

from chalicelib.clock import utcnow
from chalicelib.errors import Invalid, NotFound
from chalicelib.messages import t
from chalicelib.models.ids import is_id
from chalicelib.models.points import MENU_KEPT, MenuItem
from chalicelib.models.users import User
from chalicelib.services import permissions
from chalicelib.services import pointrules as r
from chalicelib.services import validation as v

NAME_MAX = 100
CATEGORY_MAX = 50
DESCRIPTION_MAX = 500
# The 分類 select's choice that adds the category typed beside it (「新しい分類を追加」).
NEW_CATEGORY = "__new__"


@dataclass
class MenuForm:
    """The ポイント表 form: ``category`` is one of the existing categories (the select), or
    NEW_CATEGORY / "" with ``new_category`` typed, so a category is added on purpose and an
    existing one is never retyped into a near twin."""

    category: str = ""
    new_category: str = ""
    name: str = ""
    points: str = ""
    description: str = ""


@dataclass
class MenuCategory:
    name: str
    items: list[MenuItem]


def menu(actor: User, *, include_stopped: bool = False) -> list[MenuCategory]:
    """The ポイント表 by category (one query). Every signed-in account may read it; stopped items
    only the agency, which may start them again."""
    permissions.authorize(actor, permissions.POINTS_MENU_VIEW, company_id=actor.company_id)
    items = [item for item in MENU_KEPT.get() if item.active or (include_stopped and actor.is_agency)]
    categories: dict[str, list[MenuItem]] = {}
    for item in sorted(items, key=lambda i: (i.category, i.points_tenths, i.name)):
        categories.setdefault(item.category, []).append(item)
    return [MenuCategory(name, listed) for name, listed in categories.items()]


def categories() -> list[str]:
    """The existing categories, in the ポイント表's order (one query)."""
    return sorted({item.category for item in MenuItem.all()})


def _same(a: str, b: str) -> bool:
    return unicodedata.normalize("NFKC", a).casefold() == unicodedata.normalize("NFKC", b).casefold()


def _category(errors: dict, form: MenuForm) -> str:
    """The category the form names (see MenuForm); an error at ``category`` or ``new_category``."""
    existing = categories()
    typed = form.new_category.strip()
    if form.category not in ("", NEW_CATEGORY):
        if form.category not in existing:
            errors["category"] = t("menu.category_choose")
        elif typed:
            errors["new_category"] = t("menu.category_both")
        return form.category
    if not typed:
        errors["new_category" if form.category == NEW_CATEGORY else "category"] = t(
            "menu.category_new_required" if form.category == NEW_CATEGORY else "menu.category_choose")
        return ""
    name = v.text(errors, "new_category", form.new_category, maximum=CATEGORY_MAX, single_line=True,
                  markup="points.markup")
    # Typed again (other width or case): the existing one, not a twin.
    return next((category for category in existing if name and _same(category, name)), name)


def _menu_values(form: MenuForm) -> dict:
    errors = v.FieldErrors()
    values = dict(category=_category(errors, form),
                  name=v.text(errors, "name", form.name, maximum=NAME_MAX, single_line=True, markup="points.markup"),
                  description=v.text(errors, "description", form.description, maximum=DESCRIPTION_MAX,
                                     required=False, markup="points.markup"))
    points = v.points(errors, "points", form.points)
    if errors:
        raise Invalid(dict(errors))
    return values | {"points_tenths": r.to_tenths(points)}


def add_menu_item(actor: User, form: MenuForm, *, now: datetime | None = None) -> MenuItem:
    permissions.authorize(actor, permissions.POINTS_MENU_EDIT, agency_target=True)
    item = MenuItem.new(**_menu_values(form), active=True, updated_at=now or utcnow())
    item.save(condition=MenuItem.pk.does_not_exist())
    return item


def find_menu_item(actor: User, item_id: str) -> MenuItem:
    permissions.authorize(actor, permissions.POINTS_MENU_EDIT, agency_target=True)
    item = MenuItem.find(item_id) if is_id(item_id) else None
    if item is None:
        raise NotFound()
    return item


def update_menu_item(actor: User, item_id: str, form: MenuForm, *, active: bool,
                     now: datetime | None = None) -> MenuItem:
    """Change an item; estimates already made keep the name and points they were made with."""
    item = find_menu_item(actor, item_id)
    values = _menu_values(form)
    item.update(actions=[getattr(MenuItem, name).set(value) for name, value in values.items()]
                + [MenuItem.active.set(active), MenuItem.updated_at.set(now or utcnow())],
                condition=MenuItem.pk.exists())
    return item
