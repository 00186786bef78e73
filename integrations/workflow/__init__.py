"""Flows as steps: a versioned step document between a flow's trigger and its target write.

Plain Python; no Django. See ``README.md`` in this folder for the document format.

    workflow = compile_workflow(document)          # WorkflowDocumentError names each step
    run = workflow.run(source_record, runtime)     # Run: write (record) or skip (reason)
"""

from integrations.workflow.defaults import default_document
from integrations.workflow.engine import (
    CHECKS,
    FORMAT_VERSION,
    KINDS,
    Run,
    Runtime,
    StepFailed,
    StepProblem,
    StepTrace,
    Transformed,
    TransformProblems,
    ValidationFailed,
    Workflow,
    WorkflowDocumentError,
    compile_workflow,
)

__all__ = [
    "CHECKS",
    "FORMAT_VERSION",
    "KINDS",
    "Run",
    "Runtime",
    "StepFailed",
    "StepProblem",
    "StepTrace",
    "TransformProblems",
    "Transformed",
    "ValidationFailed",
    "Workflow",
    "WorkflowDocumentError",
    "compile_workflow",
    "default_document",
]
