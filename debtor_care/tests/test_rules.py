"""The rule core without a database: table-driven, milliseconds (pytest, in ./dev test).

Not listed in tests/__init__.py on purpose: Odoo's own runner needs no database for
these, pytest collects them directly."""

from datetime import date, timedelta

import pytest

from ..engine import rules

D = date(2026, 3, 10)


@pytest.mark.parametrize(
    ("has_address", "opted_out", "blacklisted", "expected"),
    [
        (True, False, False, True),
        (False, False, False, False),
        (True, True, False, False),
        (True, False, True, False),
    ],
)
def test_may_email(has_address, opted_out, blacklisted, expected):
    assert rules.may_email(has_address, opted_out, blacklisted) is expected


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        # the level's offset from the oldest due date
        ({"level_days": 10, "last_contact": None}, D + timedelta(days=10)),
        # never sooner than the contact gap after the last contact
        ({"level_days": 10, "last_contact": D + timedelta(days=8)}, D + timedelta(days=13)),
        # a repeat counts from the last contact
        ({"repeat": True, "last_contact": D, "repeat_days": 14}, D + timedelta(days=14)),
        # a negative offset acts before the due date (courtesy note)
        ({"level_days": -3, "last_contact": None}, D - timedelta(days=3)),
    ],
)
def test_level_due_date(kwargs, expected):
    values = {
        "oldest_due": D,
        "level_days": 0,
        "repeat": False,
        "repeat_days": 0,
        "last_contact": None,
        "min_gap": 5,
        "today": D,
        **kwargs,
    }
    assert rules.level_due_date(**values) == expected


@pytest.mark.parametrize(
    ("level", "previous", "situation", "expected"),
    [
        ("firm", "neutral", {"hardship": True}, ("gentle", "hardship")),
        ("firm", "neutral", {"first_time": True}, ("neutral", "first_time")),
        ("firm", "neutral", {"on_time_share": 95.0}, ("neutral", "reliable")),
        ("firm", "neutral", {"on_time_share": 50.0}, ("firm", "standard")),
        # the previous level is not gentler: the standard tone, and the note says so
        ("neutral", "firm", {"first_time": True}, ("neutral", "standard")),
        ("neutral", "neutral", {"on_time_share": 99.0}, ("neutral", "standard")),
        # the first level has no previous one
        ("gentle", False, {"first_time": True}, ("gentle", "standard")),
    ],
)
def test_choose_tone(level, previous, situation, expected):
    facts = {"hardship": False, "on_time_share": 80.0, "first_time": False, **situation}
    choice = rules.choose_tone(level, previous, reliable_share=90.0, **facts)
    assert (choice.tone, choice.reason) == expected


@pytest.mark.parametrize(
    ("actions", "customer", "situation", "expected"),
    [
        (["email"], {}, {}, (("email",), ())),
        (["email"], {"no_email": True}, {}, (("letter",), ("no_email",))),
        (["email"], {"prefers_letter": True}, {}, (("letter",), ("no_email",))),
        (["call"], {"no_call": True}, {}, (("email",), ("no_call",))),
        (["call"], {"no_call": True, "no_email": True}, {}, (("letter",), ("no_call",))),
        (["call"], {"phone_invalid": True}, {}, (("email",), ("no_call",))),
        (["call", "email"], {}, {"days_since_conversation": 2}, (("email",), ("call_rest",))),
        (["call"], {}, {"call_attempts": 7}, ((), ("call_limit",))),
        (["call"], {}, {"call_attempts": 6}, (("call",), ())),
        (["email", "letter"], {}, {"hardship_call_pending": True}, (("call",), ("hardship_call",))),
    ],
)
def test_plan_channels(actions, customer, situation, expected):
    facts = {
        "hardship_call_pending": False,
        "days_since_conversation": None,
        "call_rest_days": 7,
        "call_attempts": 0,
        "max_call_attempts": 7,
        **situation,
    }
    channels = rules.plan_channels(actions, rules.Customer(**customer), **facts)
    assert (channels.actions, channels.notes) == expected


@pytest.mark.parametrize(
    ("due", "first_written", "thirty", "expected"),
    [
        (D, D + timedelta(days=5), False, D + timedelta(days=5)),
        (D, D - timedelta(days=1), False, False),  # a reminder before the due date
        (D, None, True, D + timedelta(days=30)),
        (D, D + timedelta(days=40), True, D + timedelta(days=30)),  # the earlier one
        (D, None, False, False),
    ],
)
def test_default_date(due, first_written, thirty, expected):
    assert rules.default_date(due, first_written, after_thirty_days=thirty) == expected


@pytest.mark.parametrize(
    ("disputed", "written", "expected"),
    [
        (False, [(D + timedelta(days=1), "reminder"), (D + timedelta(days=30), "final")], []),
        (
            True,
            [(D + timedelta(days=1), "reminder"), (D + timedelta(days=30), "final")],
            ["disputed"],
        ),
        (False, [(D + timedelta(days=30), "final")], ["few_reminders"]),
        (
            False,
            [(D + timedelta(days=20), "second"), (D + timedelta(days=30), "final")],
            ["first_too_recent"],
        ),
        (
            False,
            [(D + timedelta(days=1), "reminder"), (D + timedelta(days=5), "second")],
            ["not_announced"],
        ),
        (False, [(D - timedelta(days=1), "courtesy")], ["few_reminders", "not_announced"]),
    ],
)
def test_handover_missing(disputed, written, expected):
    today = D + timedelta(days=45)
    found = rules.handover_missing(disputed=disputed, written=written, oldest_due=D, today=today)
    assert found == expected


RATES = [(date(2025, 1, 1), 2.27), (date(2025, 7, 1), 1.27)]


@pytest.mark.parametrize(
    ("start", "end", "frozen", "expected"),
    [
        # 100 days at 2.27 + 5 points on 1000
        (date(2025, 1, 1), date(2025, 4, 11), (), 1000 * 7.27 / 100 * 100 / 365),
        # across the July 2025 change: 30 days each side
        (
            date(2025, 6, 1),
            date(2025, 7, 31),
            (),
            1000 * (7.27 * 30 + 6.27 * 30) / 100 / 365,
        ),
        # a 40-day hardship pause inside 100 days: 60 days accrue
        (
            date(2025, 1, 1),
            date(2025, 4, 11),
            ((date(2025, 2, 1), date(2025, 3, 13)),),
            1000 * 7.27 / 100 * 60 / 365,
        ),
        (date(2025, 1, 1), date(2025, 1, 1), (), 0.0),
    ],
)
def test_default_interest(start, end, frozen, expected):
    points = rules.interest_points("consumer")
    got = rules.default_interest(1000.0, start, end, points, RATES, frozen)
    assert got == pytest.approx(expected, abs=0.01)


def test_interest_points_follow_the_customer_type():
    assert rules.interest_points("business") == 9.0
    assert rules.interest_points("consumer") == 5.0


def test_free_intervals_merge_overlapping_pauses():
    frozen = [
        (D + timedelta(days=2), D + timedelta(days=5)),
        (D + timedelta(days=4), D + timedelta(days=8)),
    ]
    free = list(rules.free_intervals(D, D + timedelta(days=10), frozen))
    assert free == [(D, D + timedelta(days=2)), (D + timedelta(days=8), D + timedelta(days=10))]


@pytest.mark.parametrize(
    ("amount", "lang", "expected"),
    [
        (149.40, "de_DE", "einhundertneunundvierzig Euro und vierzig Cent"),
        (149.40, "en_US", "one hundred and forty-nine euros and forty cents"),
        (1.01, "de_DE", "ein Euro und ein Cent"),
        (101.0, "de_DE", "einhundertein Euro"),
        (1.0, "en_GB", "one euro"),
        (64.5, "de_DE", "vierundsechzig Euro und fünfzig Cent"),
        (10.0, "fr_FR", None),
    ],
)
def test_euro_in_words_reads_like_a_contract(amount, lang, expected):
    assert rules.euro_in_words(amount, lang) == expected


@pytest.mark.parametrize(
    ("situation", "expected"),
    [
        ({}, None),  # a consumer's e-mail: free
        ({"actions": ("letter",)}, None),  # the letter that puts them into default: free
        ({"actions": ("letter",), "reminded_before": True}, "letter"),
        ({"actions": ("letter",), "reminded_before": True, "letter_fee": 0.0}, None),
        ({"actions": ("letter",), "reminded_before": True, "frozen": True}, None),
        ({"customer_type": "business"}, None),  # the flat fee is off by default
        ({"customer_type": "business", "b2b_flat_fee": True}, "flat"),
        ({"customer_type": "business", "b2b_flat_fee": True, "frozen": True}, None),
    ],
)
def test_fee_kind(situation, expected):
    facts = {
        "customer_type": "consumer",
        "frozen": False,
        "actions": ("email",),
        "letter_fee": 2.5,
        "reminded_before": False,
        "b2b_flat_fee": False,
        **situation,
    }
    assert rules.fee_kind(**facts) == expected


@pytest.mark.parametrize(
    ("references", "fallback", "expected"),
    [
        (["INV/1", "INV/2", "INV/1"], "CARE/7", "INV/1 INV/2"),
        ([], "CARE/7", "CARE/7"),
        ([False, ""], "CARE/7", "CARE/7"),
        ([f"INV/2026/{n:05d}" for n in range(12)], "CARE/7", "CARE/7"),
    ],
)
def test_transfer_reference_lists_the_numbers_when_they_fit(references, fallback, expected):
    assert rules.transfer_reference(references, fallback) == expected
    assert len(rules.transfer_reference(references, fallback)) <= rules.TRANSFER_TEXT_MAX


@pytest.mark.parametrize(
    ("owed", "credits", "expected"),
    [(149.4, 0.0, 149.4), (100.0, 30.555, 69.44), (20.0, 50.0, 0.0)],
)
def test_transfer_amount_nets_credits_and_never_goes_below_zero(owed, credits, expected):
    assert rules.transfer_amount(owed, credits) == expected


def test_iban_groups_of_four():
    assert rules.iban_groups("de89370400440532013000") == "DE89 3704 0044 0532 0130 00"
    assert rules.iban_groups("") == ""


def test_a_customer_stays_in_the_arm_the_experiment_gave_them():
    arms = {rules.experiment_arm(42, "exp-1", 20.0) for _ in range(3)}
    assert len(arms) == 1, "the same customer, the same arm, every time"


def test_the_challenger_gets_its_share_of_customers():
    for share in (10.0, 20.0, 50.0):
        challengers = sum(
            rules.experiment_arm(partner, "exp-1", share) == "challenger"
            for partner in range(1, 10001)
        )
        assert abs(challengers / 100.0 - share) <= 2.0, (share, challengers)


def test_a_new_experiment_draws_the_customers_anew():
    first = [rules.experiment_arm(p, "exp-1", 50.0) for p in range(1, 1001)]
    second = [rules.experiment_arm(p, "exp-2", 50.0) for p in range(1, 1001)]
    assert first != second
    assert {rules.experiment_arm(p, "exp-1", 0.0) for p in range(1, 500)} == {"champion"}


@pytest.mark.parametrize(
    ("counts", "z", "p"),
    [
        ((120, 200, 90, 200), 3.0038, 0.00267),  # 60 % vs 45 %: a real difference
        ((52, 100, 48, 100), 0.5657, 0.5716),  # 52 % vs 48 %: could be chance
        ((45, 150, 60, 150), -1.8157, 0.0694),
    ],
)
def test_the_z_test_tells_a_real_difference_from_chance(counts, z, p):
    got_z, got_p = rules.two_proportion_z_test(*counts)
    assert round(got_z, 4) == z
    assert abs(got_p - p) < 0.0005


def test_the_z_test_says_nothing_without_data():
    assert rules.two_proportion_z_test(0, 0, 5, 10) is None
    assert rules.two_proportion_z_test(10, 10, 20, 20) is None  # both 100 %
