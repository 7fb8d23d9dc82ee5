"""What decides when a care case's next step is due, per model: the one declared list.

The daily run only looks at the cases whose next action date has come (and at every open
case once a week), so a write of any of these fields re-dates the affected cases: the
case's own fields at once, settings by marking their open cases for the next run. Adding
an input is one line here; every model's write() reads this list."""

NEXT_ACTION_INPUTS = {
    "debtor.care.case": frozenset(
        {
            "oldest_due_date",
            "level_id",
            "last_contact_date",
            "policy_id",
            "state",
            "approved_level_id",
            "hardship_call_pending",
        }
    ),
    "debtor.care.policy": frozenset({"repeat_last_level_days", "active"}),
    "debtor.care.level": frozenset({"days_overdue", "sequence", "policy_id"}),
    "res.company": frozenset(
        {
            "debtor_care_min_contact_gap",
            "resource_calendar_id",
            "debtor_care_policy_consumer_id",
            "debtor_care_policy_business_id",
        }
    ),
    "res.partner": frozenset({"debtor_care_policy_id", "debtor_care_customer_type", "is_company"}),
}


def decides_next_action(records, vals):
    """Whether a write of `vals` on `records` changes when their cases' next steps are due."""
    return not NEXT_ACTION_INPUTS[records._name].isdisjoint(vals)
