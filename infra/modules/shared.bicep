// Types and naming shared by main.bicep and the modules (compile-time imports, no deployment).

@export()
@description('One webhook source (Webhooks:Sources:{name} in DESIGN.md).')
type webhookSource = {
  @description('How the source proves its deliveries.')
  kind: 'HubSpot' | 'Lemlist' | 'StandardWebhooks'

  @description('Secrets accepted for the source, all at once: add the new one, switch the provider, remove the old one.')
  @minLength(1)
  secrets: string[]
}

@export()
@secure()
@description('Webhook sources by name (1 to 64 of a-z, 0-9, "-", "_"): the {source} segment of /api/webhooks/{source}.')
type webhookSourceMap = {
  *: webhookSource
}

@export()
@description('What the function app needs to know of a webhook source: never its secrets, only how many there are.')
type webhookSourceLayout = {
  @description('Source name.')
  name: string

  @description('How the source proves its deliveries.')
  kind: 'HubSpot' | 'Lemlist' | 'StandardWebhooks'

  @description('Number of secrets stored for it in Key Vault.')
  secretCount: int
}

@export()
@description('A Postgres firewall rule: an inclusive IPv4 range allowed to connect.')
type firewallRule = {
  @description('Rule name (letters, digits, "-", "_").')
  name: string

  @description('First address of the range.')
  startIpAddress: string

  @description('Last address of the range.')
  endIpAddress: string
}

@export()
@description('Resource tags.')
type tagMap = {
  *: string
}

@export()
@description('The Key Vault secret that holds webhook secret {index} of source {source}. Key Vault names allow letters, digits and "-" only.')
func webhookSecretName(source string, index int) string => 'webhook-${replace(source, '_', '-')}-${index}'

@export()
@description('A Key Vault reference an app setting resolves with the app\'s key vault reference identity. Versionless, so a new secret version is picked up without redeploying.')
func keyVaultReference(vaultUri string, secretName string) string => '@Microsoft.KeyVault(SecretUri=${vaultUri}secrets/${secretName})'
