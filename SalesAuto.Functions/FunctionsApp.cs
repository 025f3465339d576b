using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using SalesAuto.Core;

namespace SalesAuto.Functions;

/// <summary>Builds the Functions worker; Program.cs and the tests both build it through here.</summary>
public static class FunctionsApp
{
    /// <summary>
    /// The isolated worker with the ASP.NET Core integration (the functions hand Core a real
    /// HttpContext and return Core's IResult, as SalesAuto.Server does), Core's request pipeline
    /// around every HTTP function, and Core's services.
    /// </summary>
    public static FunctionsApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        builder.ConfigureFunctionsWebApplication();
        // After ConfigureFunctionsWebApplication: it must run inside the integration's middleware.
        builder.UseMiddleware<HttpObservabilityMiddleware>();
        builder.Services.AddSalesAutoCore(builder.Configuration);
        return builder;
    }
}
