"""Billing: plan allowances granted once per period, operator grants and tiers, usage warnings."""
