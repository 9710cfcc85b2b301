using System.Diagnostics;
using System.Reflection;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace MLNet.CSP.Tests;

/// <summary>Runs programs in separate processes: apps built beside the tests (path recorded at build time) or any command.</summary>
internal static class ChildProcess
{
    /// <summary>Runs the app recorded under <paramref name="pathKey"/> with <paramref name="args"/>; fails the test on a non-zero exit.</summary>
    public static string Run(string pathKey, params string[] args) => Run(pathKey, null, [], args);

    /// <summary>
    /// Runs the app recorded under <paramref name="pathKey"/> with extra environment variables and without the <paramref name="unset"/>
    /// ones; fails the test on a non-zero exit.
    /// </summary>
    public static string Run(string pathKey, IReadOnlyDictionary<string, string>? environment, IReadOnlyList<string> unset, params string[] args)
    {
        string app = typeof(ChildProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == pathKey).Value!;
        Assert.IsTrue(File.Exists(app), $"{pathKey}: not built at {app}");
        var (exitCode, output) = Execute("dotnet", [app, .. args], environment: environment, unset: unset);
        Assert.AreEqual(0, exitCode, $"'{Path.GetFileName(app)} {string.Join(" ", args)}' failed:\n{output}");
        return output;
    }

    /// <summary>Runs <paramref name="file"/> and returns its exit code and its standard output followed by its standard error.</summary>
    public static (int ExitCode, string Output) Execute(string file, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? unset = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var name in unset ?? []) start.Environment.Remove(name);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}
