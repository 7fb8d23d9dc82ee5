"""The decision core of payment care: plain Python, no database (see rules.py)."""
