import logging

from lxml import html
from markupsafe import Markup

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import safe_eval
from odoo.tools.rendering_tools import parse_inline_template

from . import batch_memo

_logger = logging.getLogger(__name__)
# what core's local-link rewrites match on: src, href and background of "/...", style url()
LOCAL_LINKS = ('src="/', 'href="/', 'background="/', "url(")


class MailTemplate(models.Model):
    _inherit = "mail.template"

    def _generate_template_attachments(self, res_ids, render_fields, render_results=None):
        """Without wkhtmltopdf payment care's documents cannot become PDFs: its e-mails
        (statement, agreement) then go without them, the portal link in their text shows
        the same document, instead of the composer failing before it opens."""
        if (
            self.model in ("debtor.care.case", "debtor.care.agreement", "debtor.care.dunning")
            and "report_template_ids" in render_fields
            and not self.env["debtor.care.dunning"]._can_render_pdf()
        ):
            render_fields = [name for name in render_fields if name != "report_template_ids"]
        return super()._generate_template_attachments(res_ids, render_fields, render_results)

    def _render_template_inline_template(
        self, template_txt, model, res_ids, add_context=None, options=None
    ):
        """In a batch of reminders, each expression of an inline field (the sender) is
        checked and compiled once and then evaluated per record as safe_eval does (same
        opcodes, same builtins, the values checked once); core parses, checks and
        compiles it again for every record (4 % of the first night)."""
        if (
            not self.env.context.get("debtor_care_render_batch")
            or len(res_ids) < 2
            or not template_txt
            or not self._has_unsafe_expression_template_inline_template(str(template_txt), model)
            or not self._debtor_care_may_render_expressions()
        ):
            return super()._render_template_inline_template(
                template_txt, model, res_ids, add_context=add_context, options=options
            )
        variables = self._render_eval_context()
        variables.update(add_context or {})
        safe_eval.check_values(variables)
        instructions = [
            (
                string,
                expression
                and safe_eval.test_expr(expression, safe_eval._SAFE_OPCODES, mode="eval"),
                default,
            )
            for string, expression, default in parse_inline_template(str(template_txt))
        ]
        results = {}
        for record in self.env[model].browse(res_ids):
            scope = dict(variables, object=record, __builtins__=dict(safe_eval._BUILTINS))
            parts = []
            try:
                for string, code, default in instructions:
                    parts.append(string)
                    value = code and (safe_eval.unsafe_eval(code, dict(scope)) or default)
                    if value:
                        parts.append(str(value))
            except Exception as error:
                _logger.info("Failed to render inline_template: %s", template_txt, exc_info=True)
                raise UserError(
                    self.env._(
                        "Failed to render inline_template template: %(template_txt)s",
                        template_txt=template_txt,
                    )
                ) from error
            results[record.id] = "".join(parts)
        return results

    def _debtor_care_may_render_expressions(self):
        """Who may render templates with expressions (core's own rule: else core raises)."""
        return (
            self._unrestricted_rendering
            or self.env.is_admin()
            or self.env.user.has_group("mail.group_mail_template_editor")
        )

    @api.model
    def _replace_local_links(self, html, base_url=None):
        """In a batch, a body without any local link skips core's four regular
        expressions (the inline-style one backtracks over every styled element of a
        reminder: a tenth of rendering it); the result is the same, since each of them
        needs one of these substrings (tests/test_batch_memo.py compares both)."""
        if html and batch_memo.active(self.env) and not any(m in html for m in LOCAL_LINKS):
            return html.__class__(html)
        return super()._replace_local_links(html, base_url=base_url)

    def _render_template_qweb(self, template_src, model, res_ids, add_context=None, options=None):
        """Payment care renders one template for a whole batch of reminders. Core parses
        and compiles the QWeb body again for every record (about 6 ms each, more than
        running it); in a batch (context key) it is compiled once and run per record."""
        if (
            not self.env.context.get("debtor_care_render_batch")
            or len(res_ids) < 2
            or not template_src
            or not self._has_unsafe_expression_template_qweb(template_src, model)
        ):
            return super()._render_template_qweb(
                template_src, model, res_ids, add_context=add_context, options=options
            )
        values = self._render_eval_context()
        values.update(add_context or {})
        safe_eval.check_values(values)  # as ir.qweb._render does
        qweb = self.env["ir.qweb"].with_context(**(options or {}))._prepare_environment(values)
        functions, def_name = qweb._compile(
            html.fragment_fromstring(template_src, create_parent="div")
        )
        render = functions[def_name]
        results = {}
        for record in self.env[model].browse(res_ids):
            try:
                # [5:-6]: the <div> wrapped around the fragment, as core removes it
                rendered = "".join(render(qweb, dict(values, object=record)))[5:-6]
            except Exception as error:
                _logger.info("Failed to render template: %s", template_src, exc_info=True)
                raise UserError(
                    self.env._(
                        "Failed to render QWeb template: %(template_src)s",
                        template_src=template_src,
                    )
                ) from error
            results[record.id] = Markup(rendered)
        return results
