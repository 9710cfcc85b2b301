using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Tests.Build;

namespace MLNet.CSP.Tests.Packaging;

/// <summary>
/// The NuGet package as a user gets it: packed to a folder feed, referenced with libtorch-cpu-linux-x64 from a fresh
/// <c>dotnet new console</c> app outside the repository, built, run (featurizer and trainer, each through
/// <c>Model.Save/Load</c>), published self-contained and run without the NuGet cache. Where the system needs the Debian 12
/// fix, an app built with the fix switched off must fail with the loader's reason. Removes what it adds to the package cache.
/// </summary>
[TestClass]
[TestCategory("Slow")]
public sealed class PackageConsumerTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void ThePackageWorksInAFreshAppBuiltAndPublished()
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess) Assert.Inconclusive("The consumer app references libtorch-cpu-linux-x64.");
        string repository = RepositoryRoot();
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
        string version = $"0.0.0-consumertest.{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        string work = Directory.CreateTempSubdirectory("mlnet-csp-consumer-").FullName;
        string cache = Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"), "mlnet.csp", version);
        try
        {
            string feed = Path.Combine(work, "feed"), app = Path.Combine(work, "app"), noCache = Directory.CreateDirectory(Path.Combine(work, "no-nuget-cache")).FullName;
            Dotnet(repository, "pack", "src/MLNet.CSP/MLNet.CSP.csproj", "-c", configuration, "--no-build", "-o", feed, $"-p:PackageVersion={version}");
            // The package states the ML.NET versions it supports, with an upper bound (README "Which ML.NET").
            using (var package = System.IO.Compression.ZipFile.OpenRead(Path.Combine(feed, $"MLNet.CSP.{version}.nupkg")))
            using (var reader = new StreamReader(package.GetEntry("MLNet.CSP.nuspec")!.Open()))
            {
                string nuspec = reader.ReadToEnd();
                foreach (var id in new[] { "Microsoft.ML", "Microsoft.ML.ImageAnalytics", "Microsoft.ML.LightGbm", "Microsoft.ML.FastTree" })
                    StringAssert.Contains(nuspec, $"<dependency id=\"{id}\" version=\"[6.0.0, 7.0.0)\"", $"{id} has a bounded range.");
                // ONNX Runtime's managed API only: the application chooses the native package (or none, and scores on TorchSharp).
                StringAssert.Contains(nuspec, "<dependency id=\"Microsoft.ML.OnnxRuntime.Managed\"");
                Assert.DoesNotContain("<dependency id=\"Microsoft.ML.OnnxRuntime\"", nuspec, "No native ONNX Runtime in the package's dependencies.");
            }
            Dotnet(work, "new", "console", "-o", app, "--framework", "net10.0");
            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources><add key="consumer-test-feed" value="{feed}" /></packageSources>
                  <packageSourceMapping>
                    <packageSource key="consumer-test-feed"><package pattern="MLNet.CSP" /></packageSource>
                    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
                  </packageSourceMapping>
                </configuration>
                """);
            Dotnet(app, "add", "package", "MLNet.CSP", "--version", version, "--no-restore");
            Dotnet(app, "add", "package", "libtorch-cpu-linux-x64", "--version", "2.10.0", "--no-restore");
            File.Copy(Path.Combine(AppContext.BaseDirectory, "TestData", "consumer-app", "Program.cs"), Path.Combine(app, "Program.cs"), overwrite: true);

            Dotnet(app, "build", "-c", "Release", "-o", Path.Combine(work, "build"));
            string built = Run("dotnet", work, noCache, Path.Combine(work, "build", "app.dll")).Output;
            StringAssert.Contains(built, "OK 512 features, 2 classes");
            StringAssert.Contains(built, "Engine TorchSharp");
            StringAssert.Contains(built, "OnnxRuntime without its package: explained");

            Dotnet(app, "publish", "-c", "Release", "-r", "linux-x64", "--self-contained", "-o", Path.Combine(work, "publish"));
            string publish = Path.Combine(work, "publish");
            string published = Run(Path.Combine(publish, "app"), work, noCache).Output;
            StringAssert.Contains(published, "OK 512 features, 2 classes");
            Assert.IsFalse(File.Exists(Path.Combine(publish, "libtorch_python.so")), "Lean publish leaves libtorch's Python bindings out.");
            Assert.IsTrue(File.Exists(Path.Combine(publish, "libtorch_cpu.so")));
            Assert.IsFalse(Directory.Exists(Path.Combine(publish, "cpu")), "TorchSharp never had to fall back to copying natives.");
            long bytes = new DirectoryInfo(publish).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
            TestContext.WriteLine($"Self-contained publish: {bytes / 1e6:F0} MB");

            if (SystemLibStdCxx.Path is not null && !SystemLibStdCxx.Provides("GLIBCXX_3.4.32"))
            {
                // Without the fix the app must fail, saying why (the loader's words) and what to do.
                Dotnet(app, "build", "-c", "Release", "-o", Path.Combine(work, "unpatched"), "-p:CspSkipLibTorchSharpPatch=true");
                var failed = Run("dotnet", work, noCache, Path.Combine(work, "unpatched", "app.dll"));
                Assert.AreNotEqual(0, failed.ExitCode);
                StringAssert.Contains(failed.Output, "libtorch could not be loaded");
                StringAssert.Contains(failed.Output, "GLIBCXX_3.4.32");
                StringAssert.Contains(failed.Output, "CspSkipLibTorchSharpPatch");
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
            if (Directory.Exists(cache)) Directory.Delete(cache, recursive: true);
        }
    }

    private static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "MLNet.CSP.sln"))) return d.FullName;
        throw new InvalidOperationException("The tests run outside the repository.");
    }

    private void Dotnet(string directory, params string[] args)
    {
        var (code, output) = Run("dotnet", directory, null, args);
        Assert.AreEqual(0, code, $"dotnet {string.Join(" ", args)} failed:\n{output}");
    }

    private (int ExitCode, string Output) Run(string file, string directory, string? nugetPackages, params string[] args)
    {
        var environment = new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" };
        if (nugetPackages is not null) environment["NUGET_PACKAGES"] = nugetPackages;
        var result = ChildProcess.Execute(file, args, directory, environment);
        TestContext.WriteLine($"$ {Path.GetFileName(file)} {string.Join(" ", args)} -> {result.ExitCode}");
        return result;
    }
}
