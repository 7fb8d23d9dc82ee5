"""Who may change what: the one home of the server-side write rules.

RPC clients can call any public method with any values and any context, so a context key
proves nothing. What a client cannot set is `env.su`: the engine's own code paths write
engine-owned fields in sudo, after the public method that led there checked the caller's
group and record access. See "Access model" in the README for the whole matrix."""

from markupsafe import Markup

from odoo.exceptions import AccessError

USER_GROUP = "debtor_care.group_debtor_care_user"
MANAGER_GROUP = "debtor_care.group_debtor_care_manager"


def is_manager(env):
    return env.su or env.user.has_group(MANAGER_GROUP)


def require_user(env):
    """Payment Care users (and managers) only."""
    if not (env.su or env.user.has_group(USER_GROUP)):
        raise AccessError(env._("Only Payment Care users can do this."))


def require_manager(env, what=None):
    """Payment Care managers only; `what` says what was refused."""
    if not is_manager(env):
        raise AccessError(what or env._("Only a Payment Care manager can do this."))


def check_protected_fields(records, fields, engine_fields, manager_fields=()):
    """Refuse engine-owned fields outside the engine (sudo), and manager-only fields to
    anyone but a manager. `fields` are the keys a create() or write() was given."""
    env = records.env
    if env.su:
        return
    engine = sorted(set(fields) & set(engine_fields))
    if engine:
        raise AccessError(
            env._(
                "%(model)s: %(fields)s can only be changed by payment care itself, "
                "through its actions.",
                model=env["ir.model"]._get(records._name).name,
                fields=", ".join(records._fields[name]._description_string(env) for name in engine),
            )
        )
    managed = sorted(set(fields) & set(manager_fields))
    if managed and not is_manager(env):
        raise AccessError(
            env._(
                "%(model)s: only a Payment Care manager can change %(fields)s.",
                model=env["ir.model"]._get(records._name).name,
                fields=", ".join(
                    records._fields[name]._description_string(env) for name in managed
                ),
            )
        )


def plain_text_html(text):
    """Text someone typed (a customer, a rep), for an HTML field: escaped, line breaks
    kept, nothing made live (no tags, no links)."""
    lines = (text or "").splitlines() or [""]
    return Markup("<p>%s</p>") % Markup("<br/>").join(lines)
