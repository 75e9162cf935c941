"""The file import framework: safe reading of uploaded files, all-or-nothing resources, the
admin flow, the management command and the report; each app defines its own resources."""
