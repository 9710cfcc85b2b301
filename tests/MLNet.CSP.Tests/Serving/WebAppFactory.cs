using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace MLNet.CSP.Tests.Serving;

/// <summary>The web example in an in-process host, serving a given model with given settings.</summary>
internal sealed class WebAppFactory(string model, params (string Key, string Value)[] settings) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Model", model);
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
    }

    /// <summary>A client, once <c>/health</c> says the model is loaded.</summary>
    public async Task<HttpClient> ReadyClientAsync()
    {
        var client = CreateClient();
        for (int i = 0; i < 600; i++)
        {
            if ((await client.GetAsync("/health")).StatusCode == HttpStatusCode.OK) return client;
            await Task.Delay(100);
        }
        throw new TimeoutException("The model did not load in 60 s.");
    }
}
