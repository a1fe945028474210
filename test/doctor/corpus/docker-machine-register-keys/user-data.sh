#!/bin/bash
# A Docker Machine runner manager registered at boot (written for this case; the keys are made-up
# values of the form AWS issues, the session token a placeholder).
set -euo pipefail
gitlab-runner register --non-interactive --url https://gitlab.example.com/ --token "$RUNNER_TOKEN" \
  --executor docker+machine --docker-image alpine:3.20 \
  --machine-machine-driver amazonec2 --machine-machine-name "ci-%s" \
  --machine-machine-options amazonec2-region=us-west-1 \
  --machine-machine-options "amazonec2-access-key=AKIAEXAMPLE7Q2W3E4RT" \
  --machine-machine-options "amazonec2-secret-key=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12" \
  --machine-machine-options amazonec2-session-token=REPLACE_ME
