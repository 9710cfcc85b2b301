using System.Diagnostics;
using System.Reflection;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace MLNet.CSP.Tests;

/// <summary>Runs a program built beside the tests (path recorded at build time) in a separate process.</summary>
internal static class ChildProcess
{
    /// <summary>Runs the app recorded under <paramref name="pathKey"/> with <paramref name="args"/>; fails the test on a non-zero exit.</summary>
    public static string Run(string pathKey, params string[] args)
    {
        string app = typeof(ChildProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == pathKey).Value!;
        Assert.IsTrue(File.Exists(app), $"{pathKey}: not built at {app}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(app);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode, $"'{Path.GetFileName(app)} {string.Join(" ", args)}' failed:\n{stdout}\n{stderr.Result}");
        return stdout;
    }
}
