"""Protecting the person: pile-on incidents, shield mode, controls, the safe inbox and its recap.

The vocabulary (subject types, event kinds, reducers) is in `hustings.protection.events`; the
pure pile-on detector in `incidents`; controls (block and mute lists, hidden words, sensitivity,
"only accounts I know") in `controls`; the shield and its recap in `shield`; what reaches the
inbox in `inbox`; and the ingest hook that ties them to the event log in `service`.
"""
