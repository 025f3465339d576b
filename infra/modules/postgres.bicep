// Azure Database for PostgreSQL Flexible Server with the salesauto database. The server enforces
// TLS (require_secure_transport is on by default) and the connection string verifies the
// certificate. The admin password (and, with password authentication, the app's connection string)
// are written to Key Vault only.
//
// Authentication ManagedIdentity: Entra ID authentication is on and the app signs in as its
// user-assigned identity with a token (Core: Postgres:Authentication), no password anywhere. The
// password administrator stays for the deploy job (migrations, scripts/postgres-app-role.sql) and as
// break-glass access. Private access: a private endpoint in the VNet and public access off.
import { tagMap, firewallRule, authentication } from 'shared.bicep'

@description('Server name (3-63 lower-case letters, digits and "-").')
param name string

@description('Azure region.')
param location string

@description('Resource tags.')
param tags tagMap

@description('PostgreSQL major version.')
@allowed([
  '15'
  '16'
])
param version string

@description('Compute SKU, e.g. Standard_B2s (Burstable), Standard_D2ds_v5 (GeneralPurpose). max_connections grows with it.')
param skuName string

@description('Compute tier matching skuName.')
@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param skuTier string

@description('Storage size in GiB (grows automatically).')
@minValue(32)
param storageSizeGB int

@description('Administrator login (the app connects as it; it also applies the migrations).')
param administratorLogin string

@description('Administrator password.')
@secure()
param administratorPassword string

@description('Allow connections from any Azure service (rule 0.0.0.0). Needed without VNet integration: Flex Consumption has no fixed outbound addresses. Ignored with private access.')
param allowAzureServices bool

@description('Extra firewall rules, e.g. an operator\'s address for psql. Ignored with private access.')
param firewallRules firewallRule[]

@description('Npgsql Maximum Pool Size per app instance, sized from max_connections by main.bicep (checks.bicep).')
@minValue(1)
param maxPoolSize int

@description('How the app signs in: ManagedIdentity (Entra ID token of its identity) or Password (the administrator login).')
param appAuthentication authentication

@description('Name of the app\'s user-assigned identity: its Postgres role name with Entra ID authentication.')
param appIdentityName string

@description('Entra ID administrators of the server (role names and object IDs), e.g. the app\'s identity when it owns the schema, an operator group.')
param entraAdministrators entraAdministrator[]

@description('Reach the server on a private endpoint only: public network access off, no firewall rules.')
param privateAccess bool

@description('Subnet of the private endpoint (privateAccess).')
param privateEndpointSubnetId string

@description('Private DNS zone privatelink.postgres.database.azure.com; empty without private access.')
param privateDnsZoneId string

@description('Key Vault the admin password and the connection string are written to.')
param keyVaultName string

@description('Name of the Key Vault secret holding the Npgsql connection string.')
param connectionStringSecretName string

@description('An Entra ID administrator of the server.')
type entraAdministrator = {
  @description('Object ID of the user, group or service principal.')
  objectId: string

  @description('Its Postgres role name: the identity\'s, user\'s or group\'s display name.')
  principalName: string

  @description('What it is.')
  principalType: 'User' | 'Group' | 'ServicePrincipal'
}

var databaseName = 'salesauto'
var entraEnabled = appAuthentication == 'ManagedIdentity' || !empty(entraAdministrators)

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuTier
  }
  properties: {
    version: version
    administratorLogin: administratorLogin
    administratorLoginPassword: administratorPassword
    storage: {
      storageSizeGB: storageSizeGB
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: 7
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: {
      mode: 'Disabled'
    }
    network: {
      publicNetworkAccess: privateAccess ? 'Disabled' : 'Enabled'
    }
    authConfig: {
      activeDirectoryAuth: entraEnabled ? 'Enabled' : 'Disabled'
      passwordAuth: 'Enabled'
      tenantId: entraEnabled ? tenant().tenantId : null
    }
  }

  resource database 'databases' = {
    name: databaseName
    properties: {
      charset: 'UTF8'
      collation: 'en_US.utf8'
    }
  }

  // A flexible server runs one management operation at a time: rules wait for the database and
  // for each other instead of failing with "server busy".
  resource azureServices 'firewallRules' = if (allowAzureServices && !privateAccess) {
    name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
    properties: {
      startIpAddress: '0.0.0.0'
      endIpAddress: '0.0.0.0'
    }
    dependsOn: [
      database
    ]
  }

  @batchSize(1)
  resource rules 'firewallRules' = [
    for rule in (privateAccess ? [] : firewallRules): {
      name: rule.name
      properties: {
        startIpAddress: rule.startIpAddress
        endIpAddress: rule.endIpAddress
      }
      dependsOn: [
        database
        azureServices
      ]
    }
  ]

  // Each administrator gets a Postgres role of its name (member of azure_pg_admin). The name of
  // the resource is the object ID.
  @batchSize(1)
  resource administrators 'administrators' = [
    for administrator in entraAdministrators: {
      name: administrator.objectId
      properties: {
        principalName: administrator.principalName
        principalType: administrator.principalType
        tenantId: tenant().tenantId
      }
      dependsOn: [
        database
        rules
      ]
    }
  ]
}

resource privateEndpoint 'Microsoft.Network/privateEndpoints@2024-05-01' = if (privateAccess) {
  name: 'pe-${name}'
  location: location
  tags: tags
  properties: {
    subnet: {
      id: privateEndpointSubnetId
    }
    privateLinkServiceConnections: [
      {
        name: 'postgres'
        properties: {
          privateLinkServiceId: server.id
          groupIds: [
            'postgresqlServer'
          ]
        }
      }
    ]
  }

  resource dns 'privateDnsZoneGroups' = {
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: 'postgres'
          properties: {
            privateDnsZoneId: privateDnsZoneId
          }
        }
      ]
    }
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource passwordSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'postgres-admin-password'
  properties: {
    value: administratorPassword
    contentType: 'text/plain'
  }
}

var hostAndDatabase = 'Host=${server.properties.fullyQualifiedDomainName};Port=5432;Database=${databaseName}'

resource connectionString 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (appAuthentication == 'Password') {
  parent: vault
  name: connectionStringSecretName
  properties: {
    // Quoted so any character may appear in the password ('' stands for ' inside the quotes).
    value: '${hostAndDatabase};Username=${administratorLogin};Password=\'${replace(administratorPassword, '\'', '\'\'')}\';SSL Mode=VerifyFull;Maximum Pool Size=${maxPoolSize}'
    contentType: 'text/plain'
  }
}

@description('Server host name.')
output fullyQualifiedDomainName string = server.properties.fullyQualifiedDomainName

@description('Database name.')
output databaseName string = server::database.name

// No secret in it: the password is the identity's token, fetched by the app.
@description('ConnectionStrings:Postgres with ManagedIdentity (the app\'s identity as Username, no password); empty with Password (the string is in Key Vault).')
output managedIdentityConnectionString string = appAuthentication == 'ManagedIdentity'
  ? '${hostAndDatabase};Username=${appIdentityName};SSL Mode=VerifyFull;Maximum Pool Size=${maxPoolSize}'
  : ''
