using Microsoft.Playwright;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace MLNet.CSP.Tests.Serving;

/// <summary>
/// The web example's page in a real browser: Debian's chromium (installed by .ci/run; no browser is downloaded), driven by
/// Playwright, picks an image and shows the classifier's classes as the API answers them.
/// </summary>
[TestClass]
public sealed class BrowserTests
{
    /// <summary>The system's chromium binary, or null.</summary>
    private static string? Chromium() =>
        new[] { Environment.GetEnvironmentVariable("CSP_CHROMIUM"), "/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p));

    [TestMethod]
    [Timeout(180_000)]
    public async Task ThePageShowsTheTopClassOfAPickedImage()
    {
        if (Chromium() is not { } chromium)
        {
            Assert.Inconclusive("No chromium on this machine (apt-get install chromium, or set CSP_CHROMIUM to a Chromium binary): the browser test did not run.");
            return;
        }
        using var server = await WebAppProcess.StartAsync(CompatModels.Classifier);
        using var http = new HttpClient { BaseAddress = server.Address };
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(server.Address.ToString());
        await Assertions.Expect(page.Locator("#model")).ToHaveTextAsync("Serving a classifier of 2 classes.", new() { Timeout = 60_000 });

        foreach (var image in new[] { CompatModels.Images[0], CompatModels.Images[1] })
        {
            // What the API answers for this file is what the page must show, best class first, with its percentage.
            using var body = new ByteArrayContent(File.ReadAllBytes(image));
            body.Headers.ContentType = new("image/png");
            var answer = System.Text.Json.JsonDocument.Parse(await (await http.PostAsync("/predict", body)).Content.ReadAsStringAsync()).RootElement;
            var top = answer.GetProperty("top").EnumerateArray().ToArray();

            await page.Locator("#file").SetInputFilesAsync(image);
            await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync(Path.GetFileName(image), new() { Timeout = 30_000 });
            var labels = await page.Locator("#result .row .label").AllTextContentsAsync();
            var scores = await page.Locator("#result .row .score").AllTextContentsAsync();
            CollectionAssert.AreEqual(top.Select(t => t.GetProperty("label").GetString()).ToArray(), labels.ToArray(), image);
            CollectionAssert.AreEqual(top.Select(t => (100 * t.GetProperty("score").GetDouble()).ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + "%").ToArray(), scores.ToArray(), image);
        }

        // A file that is not an image: the page shows the server's error, and the server stays up.
        string text = Path.Combine(Path.GetTempPath(), $"not-an-image-{Guid.NewGuid():N}.png");
        File.WriteAllText(text, "hello");
        try
        {
            await page.Locator("#file").SetInputFilesAsync(text);
            await Assertions.Expect(page.Locator("#status.error")).ToContainTextAsync("not an image", new() { Timeout = 30_000 });
        }
        finally
        {
            File.Delete(text);
        }
        Assert.AreEqual(System.Net.HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
    }
}
