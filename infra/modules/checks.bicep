// Parameter rules Bicep cannot state as decorators (no regular expressions, no rules across
// parameters), as constraints on this module's parameters: ARM validates them before it creates
// anything (the whole template is checked first), and refuses the deployment with the name of the
// broken rule, e.g. "The provided value for the template parameter 'invalidWebhookSourceNames' is
// not valid. Value should be less than or equal to '0'". No resources.

@description('How many webhook source names break the naming rule (shared.bicep isName: 1 to 64 lower-case letters and digits, the same as Core). Must be 0.')
@maxValue(0)
param invalidWebhookSourceNames int

@description('How many admin key names break the naming rule (isName). Must be 0.')
@maxValue(0)
param invalidAdminKeyNames int

@description('How many admin keys (metricsKey included) are shorter than 16 characters, the minimum Core enforces at start (AdminOptions.MinKeyLength): every instance would stop. Must be 0.')
@maxValue(0)
param shortAdminKeys int

@description('1 when adminKeys has a key named metrics while metricsKey is set (metricsKey is stored as the admin key "metrics"). Must be 0.')
@maxValue(0)
param metricsKeyNameTaken int

@description('1 when namePrefix is not 3 to 12 lower-case letters and digits (a storage account name allows nothing else). Must be 0.')
@maxValue(0)
param invalidNamePrefix int

@description('1 when postgresSkuName is not in the max_connections table of main.bicep and postgresMaxConnections is 0: set postgresMaxConnections. Must be 0.')
@maxValue(0)
param unknownPostgresSku int

@description('Npgsql Maximum Pool Size per instance that fits the Postgres connection budget (docs/deploy.md, "Postgres connections"). Below 1: the SKU is too small for this many instances.')
@minValue(1)
@maxValue(100)
param postgresConnectionsPerInstance int

@description('1 when the app is not a Postgres administrator (postgresAppIsAdministrator false) but migrateOnStart is true: it could not create the schema. Must be 0.')
@maxValue(0)
param migrateWithoutOwnership int

@description('The pool size every instance gets.')
output postgresMaxPoolSize int = postgresConnectionsPerInstance

@description('Always true: a deployment that breaks a rule stops before this module runs.')
output passed bool = invalidWebhookSourceNames + invalidAdminKeyNames + shortAdminKeys + metricsKeyNameTaken + invalidNamePrefix + unknownPostgresSku + migrateWithoutOwnership == 0
