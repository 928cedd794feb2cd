"""Test doubles for remote services. `xai_server.FakeXai` is a real gRPC server that the real
`xai_sdk.Client` talks to; `schema_fill` and `fake_media` are its helpers."""
