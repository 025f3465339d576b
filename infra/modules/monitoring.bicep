// Log Analytics and a workspace-based Application Insights. With local auth disabled, telemetry is
// accepted only from Entra identities holding Monitoring Metrics Publisher (roles.bicep): the
// function app authenticates with APPLICATIONINSIGHTS_AUTHENTICATION_STRING.
import { tagMap } from 'shared.bicep'

@description('Log Analytics workspace name.')
param workspaceName string

@description('Application Insights name.')
param appInsightsName string

@description('Azure region.')
param location string

@description('Resource tags.')
param tags tagMap

@description('Days Log Analytics keeps data.')
@minValue(30)
@maxValue(730)
param retentionInDays int

@description('Refuse instrumentation-key ingestion: only Entra-authenticated telemetry is accepted.')
param disableLocalAuth bool

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
    DisableLocalAuth: disableLocalAuth
  }
}

@description('Application Insights name (role assignment scope).')
output appInsightsName string = appInsights.name

// Not a secret: it names the ingestion endpoint; with local auth disabled it grants nothing alone.
@description('APPLICATIONINSIGHTS_CONNECTION_STRING.')
output appInsightsConnectionString string = appInsights.properties.ConnectionString
