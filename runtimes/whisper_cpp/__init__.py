"""The whisper.cpp runtime (pywhispercpp): speech to text with streamed segments.

Modules: ``runtime`` (registration, claims, validation, bench planning),
``options`` (load options), ``build_info`` (version, system info, devices),
``engine`` (a loaded whisper.cpp context and its decode parameters),
``transcribe`` (a request as a stream of Segment events), ``bench``
(real-time factor), ``session`` (ties them together in the worker).
"""
