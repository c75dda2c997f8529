"""The service menu (ポイント表), contracts, balances, the ledger and estimates.

Points are stored as integer tenths of a point (see chalicelib/services/pointrules.py).

- MenuItem: one partition ``MENU`` (the ポイント表 is one query).
- Contract: versions in the company's partition, ``CONTRACT#<id>``; a change is a new version,
  the latest is the current one, the rest is history.
- Balance: one item per company, ``COMPANY#<id>`` / ``BALANCE``; changed only together with a
  ledger entry in one transaction, conditioned on its ``version``.
- LedgerEntry: append-only, ``LEDGER#<company>`` / ``ENTRY#<month>#<id>``, so a month's statement
  is one query and the newest entries one query.
- Estimate and ChargeMark: in the request's partition, so the progress screen's one query reads
  them; the mark is created with the charge, so a request is charged at most once.
"""
from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)

from chalicelib.models.base import Item, Kept
from chalicelib.models.ids import new_id

MENU = "MENU"


class MenuItem(Item, discriminator="MenuItem"):
    item_id = UnicodeAttribute()
    category = UnicodeAttribute()
    name = UnicodeAttribute()
    points_tenths = NumberAttribute()
    description = UnicodeAttribute(default="")
    active = BooleanAttribute(default=True)  # a stopped item stays for old estimates, off the menu
    updated_at = UTCDateTimeAttribute()

    @staticmethod
    def keys(item_id: str) -> tuple[str, str]:
        return MENU, f"ITEM#{item_id}"

    @classmethod
    def new(cls, **attributes) -> "MenuItem":
        item_id = new_id()
        return cls(*cls.keys(item_id), item_id=item_id, **attributes)

    @classmethod
    def all(cls) -> list["MenuItem"]:
        return list(cls.query(MENU, cls.sk.startswith("ITEM#"), consistent_read=True))


# The ポイント表 as pages show it (the request page's 見積 form, /points/menu), kept per container;
# saving an estimate reads MenuItem.all() itself.
MENU_KEPT = Kept("menu", MenuItem.all, types=(MenuItem,), seconds=60.0)


class Contract(Item, discriminator="Contract"):
    company_id = UnicodeAttribute()
    version_id = UnicodeAttribute()
    contract_type = UnicodeAttribute()  # pointrules.KINDS
    points_tenths = NumberAttribute(default=0)     # per month or per term (prepaid)
    carry_over = BooleanAttribute(default=False)   # 繰り越し
    unit_price = NumberAttribute(default=0)        # yen per point (postpaid)
    monthly_fee = NumberAttribute(default=0)       # 月額保守料金: yen a month, tax excluded (請求書)
    approval_required = BooleanAttribute(default=False)  # 見積承認が必要
    starts_on = UnicodeAttribute()                 # ISO dates, Japan time
    ends_on = UnicodeAttribute(null=True)
    note = UnicodeAttribute(default="")
    author_id = UnicodeAttribute()
    author_name = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()

    @staticmethod
    def keys(company_id: str, version_id: str) -> tuple[str, str]:
        return f"COMPANY#{company_id}", f"CONTRACT#{version_id}"

    @classmethod
    def new(cls, *, company_id: str, **attributes) -> "Contract":
        version_id = new_id()
        return cls(*cls.keys(company_id, version_id), company_id=company_id, version_id=version_id, **attributes)

    @classmethod
    def history(cls, company_id: str, *, limit: int = 50) -> list["Contract"]:
        """Versions, newest (the current one) first."""
        return list(cls.query(f"COMPANY#{company_id}", cls.sk.startswith("CONTRACT#"), scan_index_forward=False,
                              limit=limit, consistent_read=True))

    @classmethod
    def current(cls, company_id: str) -> "Contract | None":
        versions = cls.history(company_id, limit=1)
        return versions[0] if versions else None


RECENT_ENTRIES = 5  # the newest ledger entries the balance carries: the 管理画面's ポイント履歴 (最近の動き)


class RecentEntry(MapAttribute):
    """A copy of one ledger entry on the balance, with what the ポイント履歴 table shows of it."""

    entry_id = UnicodeAttribute()
    entry_kind = UnicodeAttribute()
    delta_tenths = NumberAttribute()
    balance_after_tenths = NumberAttribute()
    request_id = UnicodeAttribute(null=True)
    request_number = NumberAttribute(null=True)
    request_title = UnicodeAttribute(null=True)
    note = UnicodeAttribute(default="")
    actor_name = UnicodeAttribute(default="")
    at = UTCDateTimeAttribute()

    @classmethod
    def of(cls, entry: "LedgerEntry") -> "RecentEntry":
        return cls(**{name: getattr(entry, name) for name in cls.get_attributes()})


class Balance(Item, discriminator="Balance"):
    company_id = UnicodeAttribute()
    tenths = NumberAttribute(default=0)
    version = NumberAttribute(default=0)  # +1 with every entry: the condition of the next write
    posted = UnicodeSetAttribute(default=set)  # grants and expiries already made (pointrules keys)
    usage_month = UnicodeAttribute(null=True)   # the month usage_tenths counts (charges), YYYY-MM
    usage_tenths = NumberAttribute(default=0)
    # Copied from the current contract, so the overview of every company needs the balances only.
    contract_kind = UnicodeAttribute(null=True)
    contract_text = UnicodeAttribute(default="")
    contract_points_tenths = NumberAttribute(default=0)
    contract_carry_over = BooleanAttribute(default=False)
    contract_starts_on = UnicodeAttribute(null=True)
    contract_ends_on = UnicodeAttribute(null=True)
    contract_unit_price = NumberAttribute(null=True)  # postpaid: yen per point (absent on copies made before it)
    # The newest RECENT_ENTRIES ledger entries, newest first, written with each entry in its
    # transaction: the 管理画面 shows them without a query. Absent on a balance last written before
    # the copy existed (then the entries are queried, and the next entry writes the copy).
    recent = ListAttribute(of=RecentEntry, null=True)

    @staticmethod
    def keys(company_id: str) -> tuple[str, str]:
        return f"COMPANY#{company_id}", "BALANCE"

    def recent_entries(self) -> "list[RecentEntry] | None":
        """The newest entries, newest first; None when this balance does not carry them (query)."""
        if self.recent is not None:
            return list(self.recent)
        return [] if not int(self.version or 0) else None  # version 0: never an entry

    @classmethod
    def load(cls, company_id: str) -> "Balance":
        """The stored balance, or an unsaved zero one (version 0) for a company without entries."""
        return cls.find(company_id) or cls(*cls.keys(company_id), company_id=company_id, tenths=0, version=0)


def ledger_partition(company_id: str) -> str:
    return f"LEDGER#{company_id}"


class LedgerEntry(Item, discriminator="LedgerEntry"):
    company_id = UnicodeAttribute()
    entry_id = UnicodeAttribute()
    month = UnicodeAttribute()          # the month it belongs to (YYYY-MM, Japan time)
    entry_kind = UnicodeAttribute()     # grant, topup, charge, adjustment, expiry
    delta_tenths = NumberAttribute()
    balance_after_tenths = NumberAttribute()
    balance_version = NumberAttribute(default=0)  # the balance's version this entry made: the entries' order
    request_id = UnicodeAttribute(null=True)
    request_number = NumberAttribute(null=True)
    request_title = UnicodeAttribute(null=True)
    note = UnicodeAttribute(default="")
    actor_name = UnicodeAttribute(default="")
    price_yen = NumberAttribute(null=True)  # a チャージ sold for a price (tax excluded): a line of the month's 請求書
    at = UTCDateTimeAttribute()

    @classmethod
    def new(cls, *, company_id: str, month: str, **attributes) -> "LedgerEntry":
        entry_id = new_id()
        return cls(ledger_partition(company_id), f"ENTRY#{month}#{entry_id}", company_id=company_id,
                   entry_id=entry_id, month=month, **attributes)

    @classmethod
    def of_month(cls, company_id: str, month: str, *, limit: int = 2000) -> list["LedgerEntry"]:
        return list(cls.query(ledger_partition(company_id), cls.sk.startswith(f"ENTRY#{month}#"), limit=limit,
                              consistent_read=True))

    @classmethod
    def last_before(cls, company_id: str, month: str) -> "LedgerEntry | None":
        """The newest entry of the months before ``month`` (one query, one item)."""
        found = list(cls.query(ledger_partition(company_id), cls.sk.between("ENTRY#", f"ENTRY#{month}#"),
                               scan_index_forward=False, limit=1, consistent_read=True))
        return found[0] if found else None

    @classmethod
    def month_with_opening(cls, company_id: str, month: str, *, limit: int = 2000) -> tuple[list["LedgerEntry"], "LedgerEntry | None"]:
        """The entries of ``month`` (oldest first) and the newest entry before it, in one query:
        newest first from the month's end, stopping at the first entry of an earlier month."""
        entries, before = [], None
        for entry in cls.query(ledger_partition(company_id), cls.sk.between("ENTRY#", f"ENTRY#{month}#~"),
                               scan_index_forward=False, limit=limit + 1, consistent_read=True):
            if entry.month != month:
                before = entry
                break
            entries.append(entry)
        return entries[::-1], before

    @classmethod
    def latest(cls, company_id: str, *, limit: int = 20) -> list["LedgerEntry"]:
        return list(cls.query(ledger_partition(company_id), cls.sk.startswith("ENTRY#"), scan_index_forward=False,
                              limit=limit, consistent_read=True))


class EstimateLine(MapAttribute):
    name = UnicodeAttribute()
    menu_item_id = UnicodeAttribute(default="")
    note = UnicodeAttribute(default="")  # which one it is ("トップのメイン画像"), menu items too
    quantity = NumberAttribute()
    unit_tenths = NumberAttribute()


PENDING, APPROVED, RETURNED = "pending", "approved", "returned"


class Estimate(Item, discriminator="Estimate"):
    """The request's 見積 as it is now; each save and answer is also an event in the thread."""

    request_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    lines = ListAttribute(of=EstimateLine, default=list)
    multiplier = UnicodeAttribute(default="1")   # Decimal as text
    urgency_label = UnicodeAttribute(default="")
    subtotal_tenths = NumberAttribute(default=0)
    total_tenths = NumberAttribute(default=0)
    state = UnicodeAttribute(default=PENDING)
    version = NumberAttribute(default=0)         # +1 per save or answer: what an answer refers to
    updated_at = UTCDateTimeAttribute()

    @staticmethod
    def keys(request_id: str) -> tuple[str, str]:
        return f"REQ#{request_id}", "ESTIMATE"


class ChargeMark(Item, discriminator="ChargeMark"):
    """Exists once the request has been charged: the charge's condition."""

    request_id = UnicodeAttribute()
    entry_id = UnicodeAttribute()
    at = UTCDateTimeAttribute()

    @staticmethod
    def keys(request_id: str) -> tuple[str, str]:
        return f"REQ#{request_id}", "CHARGE"
