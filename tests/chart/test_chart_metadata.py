"""Chart.yaml's Artifact Hub annotations: well-formed, and the images are the default render's."""

from __future__ import annotations

import yaml

from .helmrun import CHART

KINDS = {"added", "changed", "deprecated", "removed", "fixed", "security"}


def annotations() -> dict:
    return yaml.safe_load((CHART / "Chart.yaml").read_text(encoding="utf-8"))["annotations"]


def test_artifact_hub_annotations_are_strings_of_the_documented_shapes():
    notes = annotations()
    assert all(isinstance(v, str) for v in notes.values())
    assert notes["artifacthub.io/license"] == "Apache-2.0"
    links = yaml.safe_load(notes["artifacthub.io/links"])
    assert links and all(
        set(link) == {"name", "url"} and link["url"].startswith("https://") for link in links
    )
    changes = yaml.safe_load(notes["artifacthub.io/changes"])
    assert changes and all(c["kind"] in KINDS and c["description"] for c in changes)


def test_images_annotation_lists_the_rendered_images(helm):
    listed = {i["image"] for i in yaml.safe_load(annotations()["artifacthub.io/images"])}
    rendered = set()
    for doc in helm.template():
        spec = doc.get("spec", {})
        pod = (
            spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec")
            or spec.get("template", {}).get("spec")
            or (spec if doc["kind"] == "Pod" else {})
        )
        rendered |= {c["image"] for c in pod.get("containers", [])}
    assert listed == rendered
