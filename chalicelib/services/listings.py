"""What people read of requests: the 依頼の進行画面 (a request and its thread), the client's
dashboard and status lists, the agency's inbox and its クライアント管理 (each company's contract,
balance and open requests). Reads only (and the reader's Seen mark);
every change to a request is made by services.requests.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.clock import utcnow
from chalicelib.errors import NotFound
from chalicelib.messages import CHANGE_KIND_LABELS
from chalicelib.models.attachments import Attachment
from chalicelib.models.base import batch_read, decode_cursor, encode_cursor, one_page
from chalicelib.models.companies import Company
from chalicelib.models.ids import is_id
from chalicelib.models.points import PENDING, Balance, ChargeMark, Estimate
from chalicelib.models.requests import INBOX, OpenCount, Request, Seen, ThreadEntry, company_requests_partition, request_items
from chalicelib.models.users import User
from chalicelib.services import ledger, permissions, policy, statements, workflow
from chalicelib.services import pointrules, search

GROUP_SIZE = 20     # requests per status group on the client's dashboard
PAGE_SIZE = 30      # requests per page of the inbox and of the closed lists


@dataclass
class RequestView:
    request: Request
    entries: list[ThreadEntry]
    participants: list[User]
    requester: User | None
    files: list[Attachment] = field(default_factory=list)  # of the request itself
    files_by_entry: dict[str, list[Attachment]] = field(default_factory=dict)
    estimate: Estimate | None = None   # 見積, read by the same query
    charged: ChargeMark | None = None  # set once the request's points were charged


def view_request(actor: User, request_id: str, *, now: datetime | None = None) -> RequestView:
    """依頼の進行画面: the request and its thread in one query. A client never gets 社内メモ,
    and another company's request does not exist for it (NotFound)."""
    if not is_id(request_id):
        raise NotFound()
    request, entries, files, estimate, charged = None, [], [], None, None
    for item in request_items(request_id):
        if isinstance(item, Request):
            request = item
        elif isinstance(item, ThreadEntry):
            entries.append(item)
        elif isinstance(item, Attachment):
            files.append(item)
        elif isinstance(item, Estimate):
            estimate = item
        elif isinstance(item, ChargeMark):
            charged = item
    if request is None:
        raise NotFound()
    permissions.authorize(actor, permissions.REQUEST_VIEW, company_id=request.company_id)
    if not actor.is_agency:
        entries = [entry for entry in entries if not entry.internal]
    # The people and the reader's seen mark in one batch; the mark is written only when something
    # happened since it (the lists compare the request's activity with it, nothing else reads it).
    wanted = [(User, User.keys(user_id)) for user_id in dict.fromkeys([request.requester_id, *request.participant_ids])]
    wanted.append((Seen, Seen.keys(actor.user_id, request.request_id)))
    people, seen = {}, None
    for item in batch_read(wanted):
        if isinstance(item, Seen):
            seen = item
        else:
            people[item.user_id] = item
    if seen is None or request.last_activity_at > seen.seen_at:
        Seen.mark(actor.user_id, request.request_id, now or utcnow())
    by_entry: dict[str, list[Attachment]] = {}
    for file in files:
        if file.entry_id:
            by_entry.setdefault(file.entry_id, []).append(file)
    return RequestView(request=request, entries=entries,
                       participants=[people[i] for i in request.participant_ids if i in people],
                       requester=people.get(request.requester_id),
                       files=[f for f in files if not f.entry_id], files_by_entry=by_entry,
                       estimate=estimate, charged=charged)


def users_by_id(user_ids: list[str]) -> dict[str, User]:
    """The accounts with these IDs, in one batch read."""
    keys = list(dict.fromkeys(User.keys(user_id) for user_id in user_ids))
    return {user.user_id: user for user in User.batch_get(keys)} if keys else {}


@dataclass
class DashboardGroup:
    status: str
    requests: list[Request]


# The kinds of change a list names in 更新あり, in the order it names them, and the request's
# stamp of each (written by services.requests with every thread entry).
CHANGE_KINDS = ("comment", "estimate", "status")
_KIND_STAMP = {"comment": "commented_at", "estimate": "estimated_at", "status": "status_changed_at"}


@dataclass
class ListedRequest:
    request: Request
    changed: bool  # something happened since this user last opened it
    kinds: tuple[str, ...] = ()  # which of CHANGE_KINDS happened since then (none known: only `changed`)
    # A search result's 件名 and 依頼内容 excerpt cut into (text, matched) parts (services.search.marked);
    # None outside a search. An empty excerpt means the words matched only in comments.
    title_parts: list[tuple[str, bool]] | None = None
    body_parts: list[tuple[str, bool]] | None = None

    @property
    def kind_labels(self) -> list[str]:
        """The kinds as the lists name them (コメント, 見積, 状態)."""
        return [CHANGE_KIND_LABELS[kind] for kind in self.kinds]


def changed_kinds(request: Request, seen_at: datetime | None) -> tuple[str, ...]:
    """The kinds of change made to ``request`` after ``seen_at`` (every kind it has if never seen)."""
    kinds = []
    for kind in CHANGE_KINDS:
        at = getattr(request, _KIND_STAMP[kind])
        if at is not None and (seen_at is None or at > seen_at):
            kinds.append(kind)
    return tuple(kinds)


def _with_seen(actor: User, requests: list[Request], seen: dict[str, datetime] | None = None) -> list[ListedRequest]:
    """The requests with what changed since ``actor`` last opened each: one batch read, unless the
    caller read the marks already (``seen``: request ID -> seen_at)."""
    if not requests:
        return []
    if seen is None:
        keys = [Seen.keys(actor.user_id, r.request_id) for r in requests]
        seen = {s.request_id: s.seen_at for s in Seen.batch_get(keys)}
    listed = []
    for r in requests:
        seen_at = seen.get(r.request_id)
        changed = seen_at is None or r.last_activity_at > seen_at
        listed.append(ListedRequest(request=r, changed=changed, kinds=changed_kinds(r, seen_at) if changed else ()))
    return listed


def client_dashboard(actor: User) -> list[tuple[str, list[ListedRequest]]]:
    """The company's open requests grouped by status (newest activity first in each group).

    A fixed number of calls whatever the data: one query per open status and one batch read.
    """
    return _grouped(actor, _open_groups(actor))


COMPANY_OPEN_SHOWN = 50  # a company page's 進行中の依頼; the inbox filter it links to has the rest


def company_open_requests(actor: User, company_id: str) -> list[ListedRequest]:
    """A company's open requests for its page on the agency side, by status (新規 first), with
    what changed since ``actor`` looked: the client dashboard's fixed calls, whatever the data."""
    permissions.authorize(actor, permissions.INBOX_VIEW, agency_target=True)
    partition = company_requests_partition(company_id)
    # One query: the open statuses are the lowest ranges of the company's index partition
    # (STATUS_ORDER), so they come in status order; no 更新あり marks here (the inbox has them),
    # which keeps the page within its five calls.
    found = Request.gsi1.query(partition, Request.gsi1sk < workflow.STATUS_ORDER[workflow.DONE],
                               limit=COMPANY_OPEN_SHOWN)
    return [ListedRequest(request=r, changed=False, kinds=()) for r in found]


def _open_groups(actor: User) -> list[tuple[str, list[Request]]]:
    """The newest GROUP_SIZE requests of each open status of the actor's company."""
    permissions.authorize(actor, permissions.REQUEST_VIEW, company_id=actor.company_id)
    return _status_groups(actor.company_id)


def _status_groups(company_id: str) -> list[tuple[str, list[Request]]]:
    """One query per open status (the groups are ranges of one index partition, but one query over
    all of them would read a long group through before reaching the next)."""
    partition = company_requests_partition(company_id)
    groups = []
    for status in workflow.OPEN:
        prefix = workflow.STATUS_ORDER[status] + "#"
        groups.append((status, list(Request.gsi1.query(partition, Request.gsi1sk.startswith(prefix),
                                                       scan_index_forward=False, limit=GROUP_SIZE))))
    return groups


def _grouped(actor: User, groups: list[tuple[str, list[Request]]],
             seen: dict[str, datetime] | None = None) -> list[tuple[str, list[ListedRequest]]]:
    listed = _with_seen(actor, [r for _, requests in groups for r in requests], seen)
    by_id = {item.request.request_id: item for item in listed}
    return [(status, [by_id[r.request_id] for r in requests]) for status, requests in groups]


ANSWER_ESTIMATE, CONFIRM = "estimate", "confirm"  # what ご対応のお願い asks of the client


@dataclass
class Awaited:
    """One thing a request waits for from the client: ANSWER_ESTIMATE (a 見積 awaiting 承認) or
    CONFIRM (a request in 確認待ち)."""
    request: Request
    action: str
    estimate: Estimate | None = None


@dataclass
class ClientHome:
    """The client's 管理画面: what waits for it (ご対応のお願い), the open requests by status, and
    the points panel (残りポイント and the newest ledger entries)."""
    awaited: list[Awaited]
    groups: list[tuple[str, list[ListedRequest]]]
    summary: "statements.Summary | None" = None
    ledger: list = field(default_factory=list)


def client_home(actor: User, *, now: datetime | None = None) -> ClientHome:
    """The dashboard's groups and, among their requests, what ``actor`` may act on now: 見積 to
    answer (newest first), then requests to confirm. What policy would refuse ``actor`` (a role
    that may not answer, a 見積 already charged) is not asked of it.

    Calls: the group queries (one per open status), then one batch read of everything they make
    known, together: the reader's seen marks of the listed requests, the 見積 and charge marks of
    those that have one (a request is stamped ``estimated_at`` with its first 見積), and the
    company's balance, which carries the contract's terms and the newest ledger entries. DynamoDB
    takes 100 keys a batch: up to 9 listed requests with a 見積 at the groups' full 80, one batch;
    more, two.
    """
    groups = _open_groups(actor)
    requests = [r for _, listed in groups for r in listed]
    company_id = actor.company_id
    wanted = [(Seen, Seen.keys(actor.user_id, r.request_id)) for r in requests]
    if permissions.can(actor, permissions.ESTIMATE_ANSWER):
        estimated = [r.request_id for r in requests if r.estimated_at is not None]
        wanted += [(Estimate, Estimate.keys(i)) for i in estimated] + [(ChargeMark, ChargeMark.keys(i)) for i in estimated]
    wanted.append((Balance, Balance.keys(company_id)))
    seen, estimates, balance, charged = {}, {}, None, set()
    for item in batch_read(wanted):
        if isinstance(item, Seen):
            seen[item.request_id] = item.seen_at
        elif isinstance(item, Estimate):
            if item.state == PENDING:
                estimates[item.request_id] = item
        elif isinstance(item, Balance):
            balance = item
        elif isinstance(item, ChargeMark):
            charged.add(item.request_id)
    points = statements.summary(actor, company_id, now=now, balance=balance or Balance(
        *Balance.keys(company_id), company_id=company_id, tenths=0, version=0))
    groups = _grouped(actor, groups, seen)
    answer = [Awaited(request=r, action=ANSWER_ESTIMATE, estimate=estimates[r.request_id]) for r in requests
              if r.request_id in estimates and policy.may(actor, policy.ESTIMATE_ANSWER, r, estimate=estimates[r.request_id],
                                                           charged=r.request_id in charged)]
    answer.sort(key=lambda item: item.estimate.updated_at, reverse=True)
    confirm = [Awaited(request=item.request, action=CONFIRM) for status, listed in groups if status == workflow.WAITING
               for item in listed if policy.may(actor, policy.CONFIRM, item.request)]
    return ClientHome(awaited=answer + confirm, groups=groups, summary=points,
                      ledger=statements.recent_entries(actor, points))


def _marked(listed: list[ListedRequest], keyword: str) -> list[ListedRequest]:
    for item in listed:
        item.title_parts = search.marked(item.request.title, keyword)
        item.body_parts = search.snippet(item.request.body, keyword)
    return listed


def client_search(actor: User, keyword: str, *, after: str | None = None) -> tuple[list[ListedRequest], str | None]:
    """依頼一覧's keyword field: the company's requests (every status) whose 件名, 依頼内容 or
    comments hold the words, newest filed first, a page at a time, matches marked. The company
    is the actor's own, from its session: the index is searched in that company's partition
    only, so another company's requests (and every 社内メモ, never indexed) cannot be found."""
    permissions.authorize(actor, permissions.REQUEST_VIEW, company_id=actor.company_id)
    found = search.find(keyword, company_id=actor.company_id, after=after, limit=PAGE_SIZE)
    return _marked(_with_seen(actor, found.requests), keyword), found.cursor


def client_list(actor: User, status: str, *, after: str | None = None) -> tuple[list[ListedRequest], str | None]:
    """One status of the company's requests, a page at a time (e.g. 完了)."""
    permissions.authorize(actor, permissions.REQUEST_VIEW, company_id=actor.company_id)
    if status not in workflow.STATUS_ORDER:
        raise NotFound()
    partition = company_requests_partition(actor.company_id)
    group = workflow.STATUS_ORDER[status] + "#"
    result = Request.gsi1.query(partition, Request.gsi1sk.startswith(group), scan_index_forward=False,
                                limit=PAGE_SIZE, last_evaluated_key=decode_cursor(after, "GSI1PK", partition,
                                                                                  sort_prefix=group))
    requests = list(result)
    return _with_seen(actor, requests), encode_cursor(result.last_evaluated_key)


@dataclass
class InboxFilter:
    company_id: str = ""
    status: str = ""        # a status, "open" (default) or "" for all
    assignee_id: str = ""   # a staff user ID, "none" for unassigned, "" for anyone
    keyword: str = ""


INBOX_PAGE_READS = 3  # index pages read at most to fill one page of the inbox: with the session batch
#                       and the seen marks, a page stays within its five calls


def _inbox_accepts(filters: InboxFilter, request: Request) -> bool:
    """The inbox's filters other than the keyword, on a request the keyword found."""
    if filters.company_id and request.company_id != filters.company_id:
        return False
    if filters.status == "open" and request.status not in workflow.OPEN:
        return False
    if filters.status in workflow.STATUS_ORDER and request.status != filters.status:
        return False
    if filters.assignee_id == "none":
        return request.assignee_id is None
    return not filters.assignee_id or request.assignee_id == filters.assignee_id


def inbox(actor: User, filters: InboxFilter, *, after: str | None = None) -> tuple[list[ListedRequest], str | None]:
    """The agency's inbox across companies, newest activity first, filtered.

    Filters run on the index query, so a page costs at most INBOX_PAGE_READS reads however
    many requests there are; a page may then hold fewer than PAGE_SIZE matches. With a keyword,
    the search index answers instead (services.search.find: every match, newest filed first,
    in one company's postings when 会社 is chosen), the other filters applied to what it finds.
    """
    permissions.authorize(actor, permissions.INBOX_VIEW, agency_target=True)
    if search.query_terms(filters.keyword):
        if filters.company_id and not is_id(filters.company_id):
            return [], None  # no company has that id: nothing to find (and no key is built from it)
        found = search.find(filters.keyword, company_id=filters.company_id or None, after=after, limit=PAGE_SIZE,
                            accept=lambda request: _inbox_accepts(filters, request))
        return _marked(_with_seen(actor, found.requests), filters.keyword), found.cursor
    condition = None

    def both(extra):
        nonlocal condition
        condition = extra if condition is None else condition & extra

    if filters.company_id:
        both(Request.company_id == filters.company_id)
    if filters.status == "open":
        both(Request.status.is_in(*workflow.OPEN))
    elif filters.status in workflow.STATUS_ORDER:
        both(Request.status == filters.status)
    if filters.assignee_id == "none":
        both(Request.assignee_id.does_not_exist())
    elif filters.assignee_id:
        both(Request.assignee_id == filters.assignee_id)

    found: list[Request] = []
    cursor = decode_cursor(after, "GSI2PK", INBOX)
    for _ in range(INBOX_PAGE_READS):
        page, cursor = one_page(Request.gsi2.query(INBOX, filter_condition=condition, scan_index_forward=False,
                                                   limit=PAGE_SIZE - len(found), last_evaluated_key=cursor))
        found.extend(page)
        if cursor is None or len(found) >= PAGE_SIZE:
            break
    return _with_seen(actor, found), encode_cursor(cursor)


COMPANY_PAGE_SIZE = 50  # companies per page of クライアント管理


@dataclass
class CompanyRow:
    """One company of クライアント管理: its balance (which carries the contract's kind and text)
    and how many of its requests are open."""
    company: Company
    balance: Balance
    open_requests: int


def company_rows(actor: User, *, after: str | None = None,
                 limit: int = COMPANY_PAGE_SIZE) -> tuple[list[CompanyRow], str | None]:
    """クライアント管理: the companies, newest first, a page at a time, each with its contract,
    balance and open requests.

    One query and one batch read whatever the data, plus, once for a company, what its first
    listing needs: the settlement of a grant or expiry that fell due since anyone looked (as
    the points overview does), and the count of its open requests from before they were kept.
    """
    permissions.authorize(actor, permissions.COMPANY_LIST, agency_target=True)
    companies, cursor = Company.page(limit=limit, after=after)
    if not companies:
        return [], cursor
    ids = [company.company_id for company in companies]
    # Both in one batch: COMPANY_PAGE_SIZE balances and as many counts are DynamoDB's 100 keys.
    found = batch_read([(Balance, Balance.keys(i)) for i in ids] + [(OpenCount, OpenCount.keys(i)) for i in ids])
    balances = {b.company_id: b for b in found if isinstance(b, Balance)}
    counts = {c.company_id: c for c in found if isinstance(c, OpenCount)}
    today = ledger.today_jst(utcnow())
    rows = []
    for company_id, company in zip(ids, companies):
        balance = balances.get(company_id) or Balance(*Balance.keys(company_id), company_id=company_id)
        if pointrules.due_postings(ledger.terms_on(balance), posted=set(balance.posted or set()), today=today):
            balance = ledger.settle(company_id)
        kept = counts.get(company_id)
        open_requests = int(kept.count) if kept is not None and kept.counted else OpenCount.recount(company_id, kept)
        rows.append(CompanyRow(company=company, balance=balance, open_requests=open_requests))
    return rows, cursor
