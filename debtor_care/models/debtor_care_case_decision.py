"""The care case's decisions: which level is due, with which tone and on which
channels, or why it must not happen (contact limits, manager approval, BDSG §31)."""

from collections import Counter, defaultdict
from datetime import timedelta

from odoo import _, fields, models
from odoo.tools import SQL

from .debtor_care_policy import TONE_ORDER


class DebtorCareCase(models.Model):
    """Decisions (see the module docstring)."""

    _inherit = "debtor.care.case"

    def _classify(self, today):
        """Decide, for each case of the batch, which level is due, with which tone and on
        which channels. Uses a fixed number of queries whatever the batch size."""
        self.policy_id.level_ids.mapped("days_overdue")  # prefetch policies and levels
        self.company_id.mapped("debtor_care_min_contact_gap")
        self.partner_id.mapped("debtor_care_no_email")
        facts = {
            "last_steps": self._get_last_steps(),
            "history": self.partner_id._get_debtor_care_history(today, self.company_id),
            "written": self._get_written_steps(),
            "calls": self._count_call_attempts(today - timedelta(days=6)),
            "disputed": self._get_disputed_partners(),
        }
        decisions = {}
        for case in self:
            decisions[case.id] = case._decide(today, facts)
            # what _first_written_reminder_date() would query, from the batch's steps
            decisions[case.id]["first_written"] = min(
                (day for day, stage in facts["written"].get(case.id, []) if stage != "courtesy"),
                default=False,
            )
        return decisions

    def _get_last_steps(self):
        """The latest step of each case of the batch (one query)."""
        if not self:
            return {}
        self.env["debtor.care.dunning"].flush_model()
        self.env.cr.execute(
            SQL(
                """
            SELECT DISTINCT ON (case_id) case_id, id
              FROM debtor_care_dunning WHERE case_id = ANY(%s)
             ORDER BY case_id, date DESC, id DESC
            """,
                self.ids,
            )
        )
        by_case = dict(self.env.cr.fetchall())
        steps = self.env["debtor.care.dunning"].browse(list(by_case.values()))
        steps.mapped("state")  # prefetch them all at once
        return {case_id: steps.browse(step_id) for case_id, step_id in by_case.items()}

    def _decide(self, today, facts):
        """The decision for one case: level, tone, actions, or why it is blocked."""
        self.ensure_one()
        decision = {
            "level": False,
            "tone": False,
            "tone_note": False,
            "repeat": False,
            "actions": [],
            "channel_notes": [],
            "skip_reason": False,
            "repeat_skip": False,
            "next_date": False,
        }
        last_step = facts["last_steps"].get(self.id)
        if not self.oldest_due_date:
            return decision
        if last_step and last_step.date == today and last_step.state == "done":
            return decision  # idempotent: at most one step per case and day
        level, repeat = self._upcoming_level()
        if not level:
            return decision
        company = self.company_id
        due_on = company._debtor_care_next_working_day(self._level_due_date(level, repeat))
        if due_on > today or not company._debtor_care_is_working_day(today):
            decision["next_date"] = max(due_on, company._debtor_care_next_working_day(today))
            return decision
        decision.update(level=level, repeat=repeat, next_date=due_on)
        decision["tone"], decision["tone_note"] = self._choose_tone(level, today, facts)
        decision["actions"], decision["channel_notes"] = self._plan_actions(level, today, facts)
        reason = self._blocking_reason(level, today, decision["actions"], facts)
        if reason:
            decision["skip_reason"] = reason
            decision["repeat_skip"] = bool(
                last_step
                and last_step.state == "skipped"
                and last_step.level_id == level
                and last_step.reason == reason
            )
            decision["next_date"] = company._debtor_care_next_working_day(today + timedelta(days=1))
        return decision

    def _first_written_reminder_date(self, before=None):
        """Date of the first e-mail or letter sent after the oldest due date."""
        self.ensure_one()
        domain = [
            ("case_id", "=", self.id),
            ("state", "=", "done"),
            ("stage", "!=", "courtesy"),
            "|",
            ("action_email", "=", True),
            ("action_letter", "=", True),
        ]
        if before:
            domain.append(("date", "<", before))
        step = self.env["debtor.care.dunning"].search(domain, order="date", limit=1)
        return step.date or False

    def _default_date(self, due_date, first_written):
        """When the customer fell into default for an item (BGB §286): businesses 30 days
        after the due date (or the first reminder if earlier); consumers with the first
        reminder, or after 30 days only if the invoices say so."""
        self.ensure_one()
        after_30 = due_date + timedelta(days=30) if due_date else False
        # a reminder only puts an item into default if it came after the item was due
        reminded = first_written and (not due_date or first_written > due_date)
        candidates = [first_written] if reminded else []
        if self.customer_type == "business" or self.company_id.debtor_care_invoice_mentions_default:
            candidates.append(after_30)
        return min(filter(None, candidates), default=False)

    def _choose_tone(self, level, today, facts):
        """Never firmer than the level; gentler for reliable and first-time late payers
        (they keep the previous level's tone one level longer) and always gentle in
        hardship. Returns (tone, why)."""
        partner = self.partner_id
        if self.hardship_call_pending or partner._debtor_care_in_hardship(today):
            return "gentle", _("Hardship: always the gentle tone.")
        share, _days_late, first_time = facts["history"].get(partner.id, (100.0, 0.0, True))
        reliable = share >= self.company_id.debtor_care_reliable_share
        previous = self._previous_level(level)
        if (reliable or first_time) and previous:
            tone = min(level.tone, previous.tone, key=TONE_ORDER.get)
            why = (
                _("First time late")
                if first_time
                else _("Reliable payer (%s%% on time)", round(share))
            )
            return tone, _("%s: the gentler tone one level longer.", why)
        return level.tone, _("Standard tone of the level.")

    def _previous_level(self, level):
        levels = list(self.policy_id._get_levels())
        index = levels.index(level) if level in levels else 0
        return levels[index - 1] if index > 0 else self.env["debtor.care.level"]

    def _plan_actions(self, level, today, facts):
        """The level's actions after the customer's wishes and the contact governor."""
        partner, company = self.partner_id, self.company_id
        actions, notes = level._get_actions(), []
        if self.hardship_call_pending:
            return ["call"], [_("After a hardship pause the next contact is a personal call.")]

        def replace(old, new, note):
            actions.remove(old)
            if new and new not in actions:
                actions.append(new)
            notes.append(note)

        if "email" in actions and (
            partner.debtor_care_no_email or partner.debtor_care_channel == "letter"
        ):
            replace("email", "letter", _("The customer prefers no e-mails: a letter instead."))
        if "call" in actions and (partner.debtor_care_no_call or partner.debtor_care_phone_invalid):
            fallback = "letter" if partner.debtor_care_no_email else "email"
            replace("call", fallback, _("The customer asked not to be called: written instead."))
        if "call" in actions:
            rested = (
                self.last_conversation_date
                and (today - self.last_conversation_date).days < company.debtor_care_call_rest_days
            )
            if rested:
                replace("call", None, _("No new call so soon after a conversation."))
            elif facts["calls"].get(self.id, 0) >= company.debtor_care_max_calls_7_days:
                replace("call", None, _("Call limit reached for the last 7 days."))
        return actions, notes

    def _blocking_reason(self, level, today, actions, facts):
        """Why a due step must not happen (logged once), or False."""
        if not actions:
            return _("No channel is left for this step.")
        if self.partner_id._debtor_care_needs_human() and self.approved_level_id != level:
            return _("Needs a human: waiting for a manager to approve this step.")
        if level.stage == "handover":
            missing = self._handover_missing_conditions(today, facts)
            if missing:
                return _("Hand-over blocked (BDSG §31): %s", "; ".join(missing))
        return False

    def _handover_missing_conditions(self, today, facts):
        """BDSG §31(2): due and undisputed, two written reminders after the due date, the
        first at least four weeks ago, and the customer told in writing beforehand."""
        missing = []
        if self.partner_id.id in facts["disputed"]:
            missing.append(_("a claim of this customer is disputed"))
        written = [
            (date, stage)
            for date, stage in facts["written"].get(self.id, [])
            if date > self.oldest_due_date
        ]
        if len(written) < 2:
            missing.append(_("fewer than two written reminders after the due date"))
        elif (today - min(date for date, _stage in written)).days < 28:
            missing.append(_("the first written reminder is less than four weeks old"))
        if not any(stage == "final" for _date, stage in written):
            missing.append(_("the hand-over was not announced in a final written reminder"))
        return missing

    def _get_written_steps(self):
        """{case id: [(date, stage)]} of the done e-mail or letter steps (one query)."""
        steps = self.env["debtor.care.dunning"].search_read(
            [
                ("case_id", "in", self.ids),
                ("state", "=", "done"),
                "|",
                ("action_email", "=", True),
                ("action_letter", "=", True),
            ],
            ["case_id", "date", "stage"],
            order="date",
        )
        written = defaultdict(list)
        for step in steps:
            written[step["case_id"][0]].append((step["date"], step["stage"]))
        return written

    def _count_call_attempts(self, since):
        """{case id: call attempts since the date}, whoever made them: the calls logged
        (by a rep, or by marking a call task done) and the call tasks still waiting, or
        the call steps the engine planned if those are more (a planned call and the call
        logged for it are one attempt). Three queries for the batch."""
        planned = self.env["debtor.care.dunning"]._read_group(
            [("case_id", "in", self.ids), ("action_call", "=", True), ("date", ">=", since)],
            ["case_id"],
            ["__count"],
        )
        logged = self.env["debtor.care.call"]._read_group(
            [("case_id", "in", self.ids), ("date", ">=", fields.Datetime.to_datetime(since))],
            ["case_id"],
            ["__count"],
        )
        call_type = self.env.ref("debtor_care.mail_activity_type_payment_call")
        waiting = self.env["mail.activity"]._read_group(
            [
                ("res_model", "=", self._name),
                ("res_id", "in", self.ids),
                ("activity_type_id", "=", call_type.id),
            ],
            ["res_id"],
            ["__count"],
        )
        made = Counter({case.id: count for case, count in logged})
        made.update(dict(waiting))
        steps = {case.id: count for case, count in planned}
        return {
            case_id: max(made.get(case_id, 0), steps.get(case_id, 0))
            for case_id in set(made) | set(steps)
        }

    def _get_disputed_partners(self):
        groups = self.env["account.move"]._read_group(
            [
                ("commercial_partner_id", "in", self.partner_id.ids),
                ("debtor_care_dispute_state", "=", "open"),
            ],
            ["commercial_partner_id"],
        )
        return {partner.id for (partner,) in groups}

    def _upcoming_level(self):
        """The level the case goes to next (never two at once), and whether it is a
        repetition of the last level (only when the policy says so)."""
        self.ensure_one()
        policy = self.policy_id
        level = policy._next_level(self.level_id) if policy else self.env["debtor.care.level"]
        if not level and self.level_id and policy.repeat_last_level_days:
            return self.level_id, True
        return level, False

    def _level_due_date(self, level, repeat):
        """When a level is due: its offset from the oldest due date (or the repeat
        interval), never sooner than the minimum gap after the last contact."""
        self.ensure_one()
        if repeat:
            base = self.last_contact_date or self._today()
            due_on = base + timedelta(days=self.policy_id.repeat_last_level_days)
        else:
            due_on = self.oldest_due_date + timedelta(days=level.days_overdue)
        if self.last_contact_date:
            gap = timedelta(days=self.company_id.debtor_care_min_contact_gap)
            due_on = max(due_on, self.last_contact_date + gap)
        return due_on

    def _next_due_date(self):
        """When the case needs action next (after a step or a refresh)."""
        self.ensure_one()
        level, repeat = self._upcoming_level()
        if not level or not self.oldest_due_date:
            return False
        return self.company_id._debtor_care_next_working_day(self._level_due_date(level, repeat))
