"""The dynamic part of the packaging (the rest is pyproject.toml): the addon's packages,
found rather than listed, and its version, read from the manifest."""

import ast
import pathlib

from setuptools import find_packages, setup

ROOT = pathlib.Path(__file__).parent
MANIFEST = ast.literal_eval((ROOT / "debtor_care" / "__manifest__.py").read_text())

setup(
    version=MANIFEST["version"],
    packages=[
        "odoo.addons." + name for name in find_packages(include=["debtor_care", "debtor_care.*"])
    ],
)
