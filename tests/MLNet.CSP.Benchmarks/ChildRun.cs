using System.Diagnostics;
using System.Text.Json;

namespace MLNet.CSP.Benchmarks;

/// <summary>Runs this benchmark app again as a child process and reads the JSON after its <c>RESULT </c> line.</summary>
internal static class ChildRun
{
    public static T Result<T>(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Add(typeof(ChildRun).Assembly.Location);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var child = Process.Start(start)!;
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        string? line = output.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        if (child.ExitCode != 0 || line is null)
            throw new InvalidOperationException($"Child run '{string.Join(' ', args)}' failed with exit code {child.ExitCode}:\n{output}");
        return JsonSerializer.Deserialize<T>(line["RESULT ".Length..])!;
    }
}
