"""Playbooks: the team design as data, loaded from YAML and checked with line numbers."""

from salesrelay.playbook.load import (
    LoadResult,
    PlaybookError,
    load_playbook_file,
    load_playbook_text,
    load_template,
    parse_playbook,
    template_names,
    template_text,
)
from salesrelay.playbook.schema import Playbook
from salesrelay.playbook.validate import Issue, check_playbook

__all__ = [
    "Issue",
    "LoadResult",
    "Playbook",
    "PlaybookError",
    "check_playbook",
    "load_playbook_file",
    "load_playbook_text",
    "load_template",
    "parse_playbook",
    "template_names",
    "template_text",
]
