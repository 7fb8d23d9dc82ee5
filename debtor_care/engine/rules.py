"""The rules of payment care in plain Python: no ORM, no database, no translation.

Each function takes the facts it needs and returns a decision or reason codes; the models
gather the facts (set-based, per batch), call these, translate the codes
(`debtor_care_case_decision.py`) and act. Tested table-driven in `tests/test_rules.py`."""

import hashlib
import math
from dataclasses import dataclass, field
from datetime import timedelta

from num2words import num2words

TONE_ORDER = {"gentle": 0, "neutral": 1, "firm": 2}
HANDOVER_MIN_WRITTEN = 2  # BDSG §31(2) no. 4: at least two written reminders after due
HANDOVER_FIRST_WRITTEN_DAYS = 28  # ... the first at least four weeks before
DEFAULT_AFTER_DAYS = 30  # BGB §286(3): default 30 days after due and invoice
INTEREST_POINTS = {"consumer": 5.0, "business": 9.0}  # BGB §288(1) and (2)


# --------------------------------------------------------------------------- decision
UNKNOWN = object()  # a fact the batch did not gather: the step looks it up itself


@dataclass(frozen=True)
class Decision:
    """What the engine decided for one case tonight. `level` is the level record (falsy:
    nothing due, see `next_date`); a `skip_reason` blocks the step (logged once: a
    `repeat_skip` is not logged again)."""

    level: object = False
    repeat: bool = False
    tone: str | bool = False
    tone_note: str | bool = False
    actions: tuple = ()
    channel_notes: tuple = ()
    skip_reason: str | bool = False
    repeat_skip: bool = False
    next_date: object = False
    first_written: object = UNKNOWN  # date of the first written reminder, or False


# --------------------------------------------------------------------------- e-mail
def may_email(has_address, opted_out, blacklisted):
    """The one answer to "may we e-mail this customer?"."""
    return bool(has_address) and not opted_out and not blacklisted


# --------------------------------------------------------------------------- timing
def level_due_date(*, oldest_due, level_days, repeat, repeat_days, last_contact, min_gap, today):
    """When a level is due: its offset from the oldest due date (or the repeat interval
    after the last contact), never sooner than the minimum gap after the last contact.
    Working days are the caller's (the company calendar)."""
    if repeat:
        due_on = (last_contact or today) + timedelta(days=repeat_days)
    else:
        due_on = oldest_due + timedelta(days=level_days)
    if last_contact:
        due_on = max(due_on, last_contact + timedelta(days=min_gap))
    return due_on


# --------------------------------------------------------------------------- tone
@dataclass(frozen=True)
class Tone:
    tone: str
    reason: str  # "hardship", "first_time", "reliable", "standard"
    on_time_share: float | None = None


def choose_tone(level_tone, previous_tone, *, hardship, on_time_share, reliable_share, first_time):
    """Never firmer than the level; always gentle in hardship; reliable and first-time late
    payers keep the previous level's tone one level longer. The reason says what really
    decided: a level whose previous tone is not gentler keeps its standard tone."""
    if hardship:
        return Tone("gentle", "hardship")
    if previous_tone and (first_time or on_time_share >= reliable_share):
        gentler = min(level_tone, previous_tone, key=TONE_ORDER.get)
        if gentler != level_tone:
            return Tone(gentler, "first_time" if first_time else "reliable", on_time_share)
    return Tone(level_tone, "standard")


# --------------------------------------------------------------------------- channels
@dataclass(frozen=True)
class Customer:
    """What the channel rules need to know about a customer."""

    no_email: bool = False
    prefers_letter: bool = False
    no_call: bool = False
    phone_invalid: bool = False


@dataclass(frozen=True)
class Channels:
    actions: tuple
    notes: tuple = field(default=())  # codes: why a channel changed


def plan_channels(
    actions,
    customer,
    *,
    hardship_call_pending,
    days_since_conversation,
    call_rest_days,
    call_attempts,
    max_call_attempts,
):
    """The level's actions after the customer's wishes and the contact limits: an e-mail
    becomes a letter for who wants no e-mails, a call becomes written for who wants no
    calls, and no call soon after a conversation or beyond the weekly attempts."""
    if hardship_call_pending:
        return Channels(("call",), ("hardship_call",))
    actions, notes = list(actions), []

    def replace(old, new, note):
        actions.remove(old)
        if new and new not in actions:
            actions.append(new)
        notes.append(note)

    if "email" in actions and (customer.no_email or customer.prefers_letter):
        replace("email", "letter", "no_email")
    if "call" in actions and (customer.no_call or customer.phone_invalid):
        replace("call", "letter" if customer.no_email else "email", "no_call")
    if "call" in actions:
        if days_since_conversation is not None and days_since_conversation < call_rest_days:
            replace("call", None, "call_rest")
        elif call_attempts >= max_call_attempts:
            replace("call", None, "call_limit")
    return Channels(tuple(actions), tuple(notes))


# --------------------------------------------------------------------------- law
def default_date(due, first_written, *, after_thirty_days):
    """BGB §286: the day an item falls into default. A written reminder after the due date
    puts it into default; 30 days after the due date do for businesses, and for consumers
    only when the invoice said so (`after_thirty_days`)."""
    candidates = []
    if first_written and (not due or first_written > due):
        candidates.append(first_written)
    if after_thirty_days and due:
        candidates.append(due + timedelta(days=DEFAULT_AFTER_DAYS))
    return min(candidates, default=False)


FLAT_FEE_EUR = 40.0  # BGB §288(5): businesses, once per invoice in default


def fee_kind(*, customer_type, frozen, actions, letter_fee, reminded_before, b2b_flat_fee):
    """Which fee a step carries under German law: e-mails and calls are free; for
    consumers the reminder that puts them into default is free and a later letter carries
    the configured material cost ("letter"); businesses owe the flat fee per invoice in
    default if the company charges it ("flat"); nothing in hardship. None: no fee."""
    if frozen:
        return None
    if customer_type == "business":
        return "flat" if b2b_flat_fee else None
    if "letter" in actions and letter_fee > 0 and reminded_before:
        return "letter"
    return None


def handover_missing(*, disputed, written, oldest_due, today):
    """BDSG §31(2): what is missing before a claim may go to a collection agency, as codes.
    `written`: [(date, stage)] of the e-mails and letters sent."""
    missing = []
    if disputed:
        missing.append("disputed")
    after_due = [(day, stage) for day, stage in written if day > oldest_due]
    if len(after_due) < HANDOVER_MIN_WRITTEN:
        missing.append("few_reminders")
    elif (today - min(day for day, _stage in after_due)).days < HANDOVER_FIRST_WRITTEN_DAYS:
        missing.append("first_too_recent")
    if not any(stage == "final" for _day, stage in after_due):
        missing.append("not_announced")
    return missing


def free_intervals(date_start, date_end, frozen):
    """The parts of [date_start, date_end) outside the frozen [from, to) intervals (a
    hardship pause): no interest accrues in those."""
    cursor = date_start
    for frozen_from, frozen_to in sorted(frozen):
        if frozen_to <= cursor or frozen_from >= date_end:
            continue
        if frozen_from > cursor:
            yield cursor, frozen_from
        cursor = max(cursor, frozen_to)
    if cursor < date_end:
        yield cursor, date_end


def rate_periods(rates, date_start, date_end):
    """[(from, to, base rate)] covering [date_start, date_end) from a dated base-rate
    table [(valid from, rate)]."""
    rates = sorted(rates)
    periods = []
    for index, (valid_from, rate) in enumerate(rates):
        next_from = rates[index + 1][0] if index + 1 < len(rates) else date_end
        start, end = max(valid_from, date_start), min(next_from, date_end)
        if start < end:
            periods.append((start, end, rate))
    return periods


def default_interest(amount, date_start, date_end, points, rates, frozen=()):
    """Simple default interest on `amount` over [date_start, date_end) at base rate +
    `points`, actual/365, leaving out the frozen intervals."""
    if amount <= 0 or not date_start or date_start >= date_end:
        return 0.0
    return sum(
        amount * max(rate + points, 0.0) / 100.0 * (end - start).days / 365.0
        for free_start, free_end in free_intervals(date_start, date_end, frozen)
        for start, end, rate in rate_periods(rates, free_start, free_end)
    )


def interest_points(customer_type):
    return INTEREST_POINTS["business" if customer_type == "business" else "consumer"]


# --------------------------------------------------------------------------- words
# unit, units, subunit, subunits: how an amount in euros reads in a contract
EURO_WORDS = {
    "de": ("Euro", "Euro", "Cent", "Cent"),
    "en": ("euro", "euros", "cent", "cents"),
}


def _number_words(number, lang):
    words = num2words(number, lang=lang)
    if lang == "de" and words.endswith("eins"):
        words = words[:-1]  # "ein Euro", "einhundertein Euro": eins is for counting
    return words


def euro_in_words(amount, lang):
    """An amount of euros in words as a contract writes it ("einhundertneunundvierzig
    Euro und vierzig Cent", "one hundred and forty-nine euros and forty cents"); None
    for a language without its words here (the caller falls back to Odoo's)."""
    labels = EURO_WORDS.get((lang or "")[:2])
    if not labels:
        return None
    lang = lang[:2]
    cents_total = round(amount * 100)
    euros, cents = divmod(cents_total, 100)
    unit, units, subunit, subunits = labels
    text = f"{_number_words(euros, lang)} {unit if euros == 1 else units}"
    if cents:
        joiner = "und" if lang == "de" else "and"
        text += f" {joiner} {_number_words(cents, lang)} {subunit if cents == 1 else subunits}"
    return text


# --------------------------------------------------------------------------- transfers
TRANSFER_TEXT_MAX = 140  # EPC069-12: remittance information, at most 140 characters


def transfer_reference(references, fallback):
    """The reference of one bank transfer paying several items: their numbers, in order
    and once each, when they fit in what a SEPA transfer carries; else the fallback
    (the case or the plan), which the accountant finds as quickly."""
    numbers = [ref for ref in dict.fromkeys(references) if ref]
    text = " ".join(numbers)
    if numbers and len(text) <= TRANSFER_TEXT_MAX:
        return text
    return (fallback or "")[:TRANSFER_TEXT_MAX]


def transfer_amount(owed, credits=0.0, digits=2):
    """What one transfer should carry: what is owed less the open credits, never less
    than nothing (a customer whose credits cover everything is not asked to pay)."""
    return max(round(owed - credits, digits), 0.0)


def iban_groups(iban):
    """An IBAN as people read it off paper: groups of four ("DE89 3704 0044 ...")."""
    compact = "".join((iban or "").split()).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


# --------------------------------------------------------------------------- experiments
def experiment_arm(partner_id, experiment_key, challenger_share):
    """Champion or challenger for a customer in a policy experiment: the same customer
    always gets the same arm in one experiment (a hash, not a random draw, so a rerun,
    a second worker or a reopened case never moves a customer), and about
    `challenger_share` percent of customers get the challenger."""
    digest = hashlib.sha256(f"{experiment_key}:{partner_id}".encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64  # uniform in [0, 1)
    return "challenger" if position < challenger_share / 100.0 else "champion"


def two_proportion_z_test(successes_a, total_a, successes_b, total_b):
    """(z, two-sided p-value) of the difference between two rates, with the pooled
    standard error; None where a rate is undefined or both rates are 0 % or 100 %
    (no test can tell a difference there)."""
    if not total_a or not total_b:
        return None
    pooled = (successes_a + successes_b) / (total_a + total_b)
    variance = pooled * (1 - pooled) * (1 / total_a + 1 / total_b)
    if variance <= 0:
        return None
    z = (successes_a / total_a - successes_b / total_b) / math.sqrt(variance)
    return z, math.erfc(abs(z) / math.sqrt(2))
