"""Running the platform: the admin console's reads and actions, shared by the pages, the API and the CLI."""
