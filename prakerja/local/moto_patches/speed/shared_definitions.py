"""A state machine definition is parsed once, not once per execution or per creation.

Replaces `moto.stepfunctions.parser.backend.execution_worker.ExecutionWorker._get_evaluation_entrypoint`,
which (moto 5.2.5) parses the definition with antlr (`AmazonStateLanguageParser.parse`,
about 20 ms) for every execution it starts, and
`moto.stepfunctions.parser.models.StepFunctionsParserBackend._validate_definition`, which
parses it again for every CreateStateMachine (about 190 ms for the lifecycle: every test's
local world creates both state machines anew). A definition already parsed is valid; one not
yet parsed is validated by moto's own code, so an invalid one is refused exactly as moto does.

The parsed program is kept per definition
string and shared: its components keep no per-execution state (all of it lives in the
execution's `Environment`: stack, heap, context), except each component's `heap_key` (its
slot in an execution's heap, e.g. a retrier's attempt counter), which moto draws lazily;
drawn concurrently by two executions it could differ between reads, so every key is drawn
once, before the program is shared."""

from __future__ import annotations

import threading

from ..base import SPEED, Patcher, require

KIND = SPEED


def install(patch: Patcher) -> None:
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.backend import execution_worker
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    worker = execution_worker.ExecutionWorker
    require(
        callable(getattr(worker, "_get_evaluation_entrypoint", None))
        and getattr(execution_worker, "AmazonStateLanguageParser", None) is not None
        and isinstance(getattr(EvalComponent, "heap_key", None), property)
        and isinstance(StepFunctionsParserBackend.__dict__.get("_validate_definition"), staticmethod),
        "moto's Step Functions ExecutionWorker._get_evaluation_entrypoint / EvalComponent.heap_key"
        " / StepFunctionsParserBackend._validate_definition",
    )
    parser = execution_worker.AmazonStateLanguageParser
    programs: dict[str, object] = {}
    lock = threading.Lock()

    def _get_evaluation_entrypoint(self):
        definition = self._evaluation_details.state_machine_details.definition
        with lock:
            program = programs.get(definition)
            if program is None:
                program = parser.parse(definition)[0]
                _fix_heap_keys(program, EvalComponent)
                programs[definition] = program
        return program

    patch.replace(worker, "_get_evaluation_entrypoint", _get_evaluation_entrypoint)
    validate = StepFunctionsParserBackend._validate_definition

    def _validate_definition(definition: str) -> None:
        with lock:
            if definition in programs:
                return
        validate(definition)  # moto's own, with its InvalidDefinition for a bad one

    patch.replace(StepFunctionsParserBackend, "_validate_definition", staticmethod(_validate_definition))


def _fix_heap_keys(component, eval_class, seen=None) -> None:
    seen = set() if seen is None else seen
    if id(component) in seen:
        return
    seen.add(id(component))
    if isinstance(component, eval_class):
        component.heap_key  # noqa: B018 - the property draws and stores the key
    children = vars(component).values() if hasattr(component, "__dict__") else ()
    for child in children:
        for value in (
            child if isinstance(child, (list, tuple)) else child.values() if isinstance(child, dict) else [child]
        ):
            if hasattr(value, "__dict__") and type(value).__module__.startswith("moto.stepfunctions.parser.asl"):
                _fix_heap_keys(value, eval_class, seen)
