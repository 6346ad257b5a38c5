"""The admin console's pages (not in the navigation bar: the account menu links to them for staff)."""
