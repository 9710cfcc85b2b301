using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;

namespace MLNet.CSP.Tests.Serving;

/// <summary>
/// The web example started as users start it (its own process, a real loopback port chosen by the system), for clients
/// outside the test process such as a browser; stopped and reaped on dispose.
/// </summary>
internal sealed partial class WebAppProcess : IDisposable
{
    private readonly Process process;

    private WebAppProcess(Process process, Uri address) => (this.process, Address) = (process, address);

    /// <summary>The address it listens on.</summary>
    public Uri Address { get; }

    /// <summary>The server's resident memory now, in bytes.</summary>
    public long ResidentBytes
    {
        get
        {
            process.Refresh();
            return process.WorkingSet64;
        }
    }

    /// <summary>A client of the server, once <c>/health</c> says the model is loaded.</summary>
    public async Task<HttpClient> ReadyClientAsync()
    {
        var client = new HttpClient { BaseAddress = Address };
        for (int i = 0; i < 600; i++)
        {
            if ((await client.GetAsync("/health")).StatusCode == System.Net.HttpStatusCode.OK) return client;
            await Task.Delay(100);
        }
        client.Dispose();
        throw new TimeoutException("The model did not load in 60 s.");
    }

    public static async Task<WebAppProcess> StartAsync(string model, params string[] more)
    {
        string app = typeof(WebAppProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "WebAppPath").Value!;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { app, "--model", model, "--urls", "http://127.0.0.1:0" }.Concat(more)) start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            log.Enqueue(e.Data);
            if (Listening().Match(e.Data) is { Success: true } m) listening.TrySetResult(new Uri(m.Groups[1].Value));
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var started = await Task.WhenAny(listening.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        if (started != listening.Task)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"The web app did not start listening:\n{string.Join("\n", log)}");
        }
        return new WebAppProcess(process, listening.Task.Result);
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex Listening();

    public void Dispose()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.WaitForExit();
        process.Dispose();
    }
}
