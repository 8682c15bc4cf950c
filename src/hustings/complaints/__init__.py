"""Party complaints and discipline: a case from the complaint through investigation, charge,
hearing, decision and appeal, with the EHRC's safeguards (recusal, no interference, reasons,
an access log oversight reads). The way in is the service, `services.complaints`."""
