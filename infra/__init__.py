"""The CDK app that deploys Prakerja Flow to AWS (issue 5).

Everything here is built from the project's single sources of truth:
`prakerja_flow.catalogue` (functions, their permissions and schedules),
`prakerja_flow.data.schema` (tables and indexes), `prakerja_flow.config` (intervals)
and `statemachines/*.asl.json` (the workflow). Nothing they list is listed again here.
"""
