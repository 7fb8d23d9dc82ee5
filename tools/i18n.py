"""Keep debtor_care/i18n/de.po complete.

python tools/i18n.py merge EXPORT.po   merge a fresh export (odoo --i18n-export) into
                                       de.po and debtor_care.pot, keeping translations
                                       and filling generic ones from Odoo's own de.po
python tools/i18n.py check EXPORT.po   exit 1 when a string of the export has no German
                                       translation in de.po
python tools/i18n.py apply FILE.json   set translations from {"msgid": "msgstr"} (msgids
                                       compared with whitespace collapsed)
"""

import glob
import json
import os
import sys

import polib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PO = os.path.join(ROOT, "debtor_care", "i18n", "de.po")
POT = os.path.join(ROOT, "debtor_care", "i18n", "debtor_care.pot")
ODOO_SRC = os.environ.get("ODOO_SRC", "/opt/odoo/18.0")
CORE_MODULES = ("base", "mail", "account", "portal", "payment", "account_payment", "web")


def _key(entry):
    return (entry.msgctxt, entry.msgid)


def _core_translations():
    known = {}
    for module in CORE_MODULES:
        for path in glob.glob(f"{ODOO_SRC}/addons/{module}/i18n/de.po") + glob.glob(
            f"{ODOO_SRC}/odoo/addons/{module}/i18n/de.po"
        ):
            for entry in polib.pofile(path):
                if entry.msgstr and entry.msgid not in known:
                    known[entry.msgid] = entry.msgstr
    return known


def merge(export_path):
    export = polib.pofile(export_path)
    current = {_key(e): e for e in polib.pofile(PO)} if os.path.exists(PO) else {}
    core = _core_translations()
    for entry in export:
        old = current.get(_key(entry))
        if old and old.msgstr:
            entry.msgstr = old.msgstr
        elif entry.msgid in core:
            entry.msgstr = core[entry.msgid]
        entry.flags = [f for f in entry.flags if f != "fuzzy"]
    export.metadata["Language"] = "de"
    export.save(PO)
    pot = polib.pofile(export_path)
    for entry in pot:
        entry.msgstr = ""
    pot.metadata.pop("Language", None)
    pot.save(POT)
    missing = [e.msgid for e in export if not e.msgstr]
    print(f"de.po: {len(export)} strings, {len(missing)} without translation")
    for msgid in missing:
        print("  MISSING:", msgid.replace("\n", " ")[:120])


def check(export_path):
    translated = {_key(e) for e in polib.pofile(PO) if e.msgstr}
    missing = [e.msgid for e in polib.pofile(export_path) if _key(e) not in translated]
    for msgid in missing:
        print("  no German translation:", msgid.replace("\n", " ")[:120])
    if missing:
        print(f"de.po is incomplete: {len(missing)} strings (run ./dev i18n and translate them)")
        return 1
    print("de.po is complete")
    return 0


def _norm(text):
    return " ".join(text.split())


def apply(json_path):
    with open(json_path, encoding="utf-8") as handle:
        wanted = {_norm(k): v for k, v in json.load(handle).items()}
    po = polib.pofile(PO)
    done = 0
    for entry in po:
        if _norm(entry.msgid) in wanted:
            entry.msgstr = wanted[_norm(entry.msgid)]
            done += 1
    po.save(PO)
    print(f"{done} translations set, {len([e for e in po if not e.msgstr])} still missing")


if __name__ == "__main__":
    command, path = sys.argv[1], sys.argv[2]
    sys.exit({"merge": merge, "check": check, "apply": apply}[command](path))
