"""Campaign scenarios: each module exposes ``run(quick: bool, seed: int, workdir: Path) -> list[dict]``."""
