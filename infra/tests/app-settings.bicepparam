// scripts/check-infra.sh: bicep snapshot infra/tests/app-settings.bicepparam --mode validate
using 'app-settings.bicep'
