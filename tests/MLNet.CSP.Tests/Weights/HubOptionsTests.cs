using Microsoft.VisualStudio.TestTools.UnitTesting;
using MLNet.CSP.Weights.Hub;

namespace MLNet.CSP.Tests.Weights;

/// <summary><see cref="HubOptions"/> reads huggingface_hub's environment variables, in its order of precedence.</summary>
[TestClass]
public sealed class HubOptionsTests
{
    private static readonly string[] Variables =
        ["HF_ENDPOINT", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME", "HF_HUB_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"];

    private static void With(Dictionary<string, string?> values, Action check)
    {
        var saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        try
        {
            foreach (var v in Variables) Environment.SetEnvironmentVariable(v, values.GetValueOrDefault(v));
            check();
        }
        finally
        {
            foreach (var (v, value) in saved) Environment.SetEnvironmentVariable(v, value);
        }
    }

    [TestMethod]
    public void TheVariablesSetTheEndpointCacheOfflineModeAndToken() => With(new()
    {
        ["HF_ENDPOINT"] = "http://127.0.0.1:9/mirror/", ["HF_HUB_CACHE"] = "/tmp/hub-a", ["HUGGINGFACE_HUB_CACHE"] = "/tmp/hub-b",
        ["HF_HOME"] = "/tmp/home", ["HF_HUB_OFFLINE"] = "yes", ["HF_TOKEN"] = "hf_new", ["HUGGING_FACE_HUB_TOKEN"] = "hf_old",
    }, () =>
    {
        var options = new HubOptions();
        Assert.AreEqual("http://127.0.0.1:9/mirror", options.Endpoint, "HF_ENDPOINT, without its trailing slash.");
        Assert.AreEqual("/tmp/hub-a", options.CacheDirectory, "HF_HUB_CACHE comes first.");
        Assert.IsTrue(options.Offline);
        Assert.AreEqual("hf_new", options.Token, "HF_TOKEN comes before the legacy name.");
    });

    [TestMethod]
    public void WithoutTheNewerNamesTheOlderOnesAndTheDefaultsApply()
    {
        With(new() { ["HUGGINGFACE_HUB_CACHE"] = "/tmp/hub-b", ["HF_HOME"] = "/tmp/home", ["HUGGING_FACE_HUB_TOKEN"] = "hf_old", ["HF_HUB_OFFLINE"] = "0" }, () =>
        {
            var options = new HubOptions();
            Assert.AreEqual("/tmp/hub-b", options.CacheDirectory);
            Assert.AreEqual("hf_old", options.Token);
            Assert.IsFalse(options.Offline, "0 is not true.");
        });
        With(new() { ["HF_HOME"] = "/tmp/home" }, () => Assert.AreEqual("/tmp/home/hub", new HubOptions().CacheDirectory, "HF_HOME/hub."));
        With(new() { ["XDG_CACHE_HOME"] = "/tmp/xdg" }, () => Assert.AreEqual("/tmp/xdg/huggingface/hub", new HubOptions().CacheDirectory));
        With(new(), () =>
        {
            var options = new HubOptions();
            Assert.AreEqual("https://huggingface.co", options.Endpoint);
            Assert.AreEqual(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface", "hub"), options.CacheDirectory);
            Assert.IsFalse(options.Offline);
            Assert.IsNull(options.Token);
        });
    }
}
