"""HTTP routes. Thin: authenticate (dependency), call the runner, return its JSON."""
