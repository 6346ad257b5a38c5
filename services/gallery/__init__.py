"""The gallery: a user's own generations searched, filtered, favourited, deleted and zipped."""
