"""Patches that give moto 5.2.5's answers faster (each measured in docs/performance.md).

Installed in this order: a later patch may wrap what an earlier one replaced."""

from . import (
    condition_expressions_parsed_once,
    direct_calls,
    direct_lambda_invoke,
    item_level_transactions,
    json_paths_parsed_once,
    kept_method_names,
    narrowed_queries,
    reused_boto_clients,
    serialiser_aliases,
    serialiser_attribute_values,
    shared_definitions,
    shared_service_models,
    update_expressions_parsed_once,
    weak_item_tracking,
)

PATCHES = (
    shared_service_models,
    narrowed_queries,
    item_level_transactions,
    shared_definitions,
    reused_boto_clients,
    serialiser_aliases,
    serialiser_attribute_values,
    kept_method_names,
    update_expressions_parsed_once,
    condition_expressions_parsed_once,
    json_paths_parsed_once,
    weak_item_tracking,
    direct_calls,
    direct_lambda_invoke,
)
