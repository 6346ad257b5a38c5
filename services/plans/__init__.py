"""Plans: what each tier allows, and the signed-in user's plan and credits."""
