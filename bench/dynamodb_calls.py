"""DynamoDB calls per page at 10 and 10,000 requests in the company: equal, so a page's cost is flat."""
from __future__ import annotations

from bench import world as w

SIZES = (10, 10_000)


def _calls(agent, url: str):
    from tests.support.volume import DynamoDBCalls

    agent.get(url)  # warm: the first view marks a request seen, later ones only rewrite the mark
    with DynamoDBCalls() as calls:
        response = agent.get(url)
    response.raise_for_status()
    return calls


def run() -> str:
    from chalicelib.services import listings, workflow

    base = w.world().url
    counts: dict[str, dict[int, int]] = {}
    scans = 0
    for size in SIZES:
        one = w.make_scene(f"{size}件の会社")
        client = w.session(one.client_id, one.password)
        staff = w.session(one.staff_id, one.password)
        added = w.add_requests(one, size - 1)
        paths = {**{name: (client, path) for name, path in w.pages(one).items() if name != "login"},
                 "closed list": (client, f"/requests?status={workflow.DONE}"),
                 "agency inbox, this company": (staff, f"/?company={one.company_id}")}
        for name, (agent, path) in paths.items():
            calls = _calls(agent, base + path)
            scans += calls.operations.get("Scan", 0)
            counts.setdefault(name, {})[size] = calls.total
        w.remove(added)  # later sections file requests, which the emulator slows down on a large table
    rows = [[name, by_size[10], by_size[10_000], f"{by_size[10_000] / by_size[10]:.2f}"]
            for name, by_size in counts.items()]
    section = "\n".join([
        "## DynamoDB calls per page",
        "",
        "Calls the app sends while rendering one page (counted on botocore's `before-call` event, the",
        "second view of the page), in a company with 10 and with 10,000 requests.",
        "",
        w.table(["page", "10 requests", "10,000 requests", "ratio"], rows),
        "",
        f"Scans: {scans}. The agency inbox filtered to one company reads the inbox index (every company,",
        f"newest first) page by page through the filter, at most {listings.INBOX_PAGE_READS} pages a screen: its count",
        "depends on what else the inbox holds, within that cap; the other pages' counts must not move.",
    ])
    inbox = counts.pop("agency inbox, this company")
    if (scans or any(by_size[10_000] != by_size[10] for by_size in counts.values())
            or inbox[10_000] > inbox[10] + listings.INBOX_PAGE_READS):
        raise w.Failed(section + "\n\n**FAILED**: a page's cost grows with the data, or a page scans.")
    return section
