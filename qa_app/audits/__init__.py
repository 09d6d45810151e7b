"""Audits: cycles and their samples, panels and assignment, scoring, moderation and final
grades, and the import of historic audits.

    cycles/      cycles, the sample draw and sample size
    panels/      panels, their members, assignment of the sample to auditors
    scoring/     the scoring form built from a rubric, saving and submitting an audit
    moderation/  the chair's comparison of two audits, final grades
    history_import/  historic audits from a spreadsheet (opened by register/importing)
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the audits pages, the `ehcp-qa` command groups and the navigation items."""
    from qa_app.audits.cycles import commands as cycle_commands
    from qa_app.audits.cycles import views as cycle_views
    from qa_app.audits.moderation import views as moderation_views
    from qa_app.audits.panels import commands as panel_commands
    from qa_app.audits.panels import views as panel_views
    from qa_app.audits.scoring import views as scoring_views
    from qa_app.navigation import add_item

    for blueprint in (cycle_views.bp, panel_views.bp, scoring_views.bp, moderation_views.bp):
        app.register_blueprint(blueprint)
    for group in (*cycle_commands.commands, *panel_commands.commands):
        app.cli.add_command(group)
    add_item(app, "My audits", "scoring.my_audits", 100, ("scoring.",), group="Audits",
             description="The plans and advice assigned to you to score.")
    add_item(app, "Moderation", "moderation.index", 110, ("moderation.",), group="Audits",
             description="Compare auditors' grades and agree the final grades.")
    add_item(app, "Panels", "panels.index", 130, ("panels.",), group="Audits",
             description="Set up each cycle's panels, their members and who audits what.")
    add_item(app, "Cycles", "cycles.index", 140, ("cycles.",), group="Audits",
             description="Open an audit cycle, draw its sample and close it.")
