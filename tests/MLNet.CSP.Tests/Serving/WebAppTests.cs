using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace MLNet.CSP.Tests.Serving;

/// <summary>
/// The web example (examples/MLNet.CSP.Web) in an in-process host: its endpoints, its answers to bad uploads, and answers
/// under concurrent load that equal the sequential ones (the same classes in the same order, scores up to float rounding).
/// </summary>
[TestClass]
public sealed class WebAppTests
{
    private static ByteArrayContent Png(byte[] bytes, string type = "image/png")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return content;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Json)> PostAsync(HttpClient client, HttpContent content)
    {
        var response = await client.PostAsync("/predict", content);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [TestMethod]
    [Timeout(120_000)]
    public async Task AClassifierAnswersWithItsLabelScoreAndTopClasses()
    {
        using var app = new WebAppFactory(CompatModels.Classifier, ("Top", "1"));
        using var client = await app.ReadyClientAsync();
        var health = JsonDocument.Parse(await client.GetStringAsync("/health")).RootElement;
        Assert.AreEqual("classifier", health.GetProperty("kind").GetString());
        CollectionAssert.AreEqual(new[] { "light", "dark" }, health.GetProperty("classes").EnumerateArray().Select(c => c.GetString()).ToArray());

        using var classifier = CompatModels.Load<MLNet.CSP.Pipelines.Classification.CspImageClassificationTransformer>(CompatModels.Classifier);
        var bytes = File.ReadAllBytes(CompatModels.Images[3]);
        var (status, json) = await PostAsync(client, Png(bytes));
        Assert.AreEqual(HttpStatusCode.OK, status, json.ToString());
        var top = json.GetProperty("top").EnumerateArray().ToArray();
        Assert.AreEqual(1, top.Length, "--top 1");
        Assert.AreEqual(json.GetProperty("label").GetString(), top[0].GetProperty("label").GetString());
        Assert.AreEqual(json.GetProperty("score").GetSingle(), top[0].GetProperty("score").GetSingle());

        // The same answer as a multipart form field 'image' and as octet-stream; the page is served.
        using var form = new MultipartFormDataContent { { Png(bytes), "image", "image03.png" } };
        Assert.AreEqual(json.ToString(), (await PostAsync(client, form)).Json.ToString());
        Assert.AreEqual(json.ToString(), (await PostAsync(client, Png(bytes, "application/octet-stream"))).Json.ToString());
        StringAssert.Contains(await client.GetStringAsync("/"), "<input id=\"file\"");
    }

    [TestMethod]
    [Timeout(120_000)]
    public async Task BadUploadsGet400WithAnErrorAndTheServerStaysUp()
    {
        using var app = new WebAppFactory(CompatModels.Classifier, ("MaxUploadBytes", "20000"), ("MaxPixels", "2500"));
        using var client = await app.ReadyClientAsync();
        var whole = File.ReadAllBytes(CompatModels.Images[0]); // 48x40 = 1920 pixels
        var cases = new (string Name, HttpContent Content, string Says)[]
        {
            ("empty", Png([]), "empty"),
            ("not an image", Png("GIF? no, text"u8.ToArray()), "not an image"),
            ("cut short", Png(whole[..(whole.Length / 2)]), "truncated"),
            ("too large", Png(new byte[20001]), "limit"),
            ("wrong type", new StringContent("hello"), "is not an image"),
            ("form without the field", new MultipartFormDataContent { { Png(whole), "file", "a.png" } }, "no file field 'image'"),
            ("too many pixels", Png(WideImage()), "limit is 2500 pixels"),
        };
        foreach (var (name, content, says) in cases)
        {
            var (status, json) = await PostAsync(client, content);
            Assert.AreEqual(HttpStatusCode.BadRequest, status, name);
            StringAssert.Contains(json.GetProperty("error").GetString(), says, name);
        }
        Assert.AreEqual(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode, "still up");
        Assert.AreEqual(HttpStatusCode.OK, (await PostAsync(client, Png(whole))).Status, "still scoring");
    }

    /// <summary>The same classes in the same order, every score within float rounding (2e-6).</summary>
    private static bool SameAnswer(JsonElement expected, JsonElement actual)
    {
        static (string?, float)[] Top(JsonElement answer) =>
            answer.GetProperty("top").EnumerateArray().Select(c => (c.GetProperty("label").GetString(), c.GetProperty("score").GetSingle())).ToArray();
        var (a, b) = (Top(expected), Top(actual));
        return expected.GetProperty("label").GetString() == actual.GetProperty("label").GetString() && a.Length == b.Length
            && a.Zip(b).All(p => p.First.Item1 == p.Second.Item1 && Math.Abs(p.First.Item2 - p.Second.Item2) <= 2e-6f);
    }

    /// <summary>A 100x30 PNG (3000 pixels), over a 2500-pixel limit.</summary>
    private static byte[] WideImage()
    {
        using var bitmap = new SkiaSharp.SKBitmap(100, 30);
        using var data = SkiaSharp.SKImage.FromBitmap(bitmap).Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    [TestMethod]
    [Timeout(120_000)]
    public async Task ADetectorAnswersWithBoxesInTheImagesPixels()
    {
        using var app = new WebAppFactory(CompatModels.Detector);
        using var client = await app.ReadyClientAsync();
        var (status, json) = await PostAsync(client, Png(File.ReadAllBytes(CompatModels.Images[1])));
        Assert.AreEqual(HttpStatusCode.OK, status, json.ToString());
        var boxes = json.GetProperty("boxes").EnumerateArray().ToArray();
        Assert.AreEqual(5, boxes.Length, "the model keeps 5 detections");
        foreach (var b in boxes)
        {
            CollectionAssert.Contains(new[] { "light", "dark" }, b.GetProperty("label").GetString());
            float x1 = b.GetProperty("x1").GetSingle(), y1 = b.GetProperty("y1").GetSingle();
            Assert.IsTrue(b.GetProperty("x0").GetSingle() < x1 && x1 <= 56 && b.GetProperty("y0").GetSingle() < y1 && y1 <= 48, b.ToString());
        }
    }

    /// <summary>
    /// The load, on loopback against the app started as users start it: 1,600 requests from 8 clients, then from 32,
    /// each answer equal to the sequential one; the server's memory after the load stays near its memory after a warm-up
    /// (a leaked input tensor per request, 600 KB, would add about 1 GB).
    /// </summary>
    [TestMethod]
    [Timeout(420_000)]
    [TestCategory("Slow")]
    public async Task OnLoopbackUnderLoadEveryAnswerIsTheSequentialAnswerAndMemoryStaysFlat()
    {
        using var server = await WebAppProcess.StartAsync(CompatModels.Classifier);
        using var client = await server.ReadyClientAsync();
        var files = CompatModels.Images.Select(File.ReadAllBytes).ToArray();
        var sequential = new List<JsonElement>();
        foreach (var f in files) sequential.Add((await PostAsync(client, Png(f))).Json);

        async Task<int> LoadAsync(int clients, int requests) => (await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            int wrong = 0;
            for (int r = 0; r < requests / clients; r++)
            {
                int i = (r * 5 + c) % files.Length;
                var (status, json) = await PostAsync(client, Png(files[i]));
                if (status != HttpStatusCode.OK || !SameAnswer(sequential[i], json)) wrong++;
            }
            return wrong;
        })))).Sum();

        Assert.AreEqual(0, await LoadAsync(32, 640), "warm-up: answers that differ from the sequential ones");
        long warm = server.ResidentBytes;
        foreach (int clients in new[] { 8, 32 })
            Assert.AreEqual(0, await LoadAsync(clients, 1600), $"{clients} clients: answers that differ from the sequential ones");
        long after = server.ResidentBytes;
        Assert.IsTrue(after <= warm * 1.25, $"resident memory grew from {warm >> 20} MB after the warm-up to {after >> 20} MB after 3,200 requests");
        var stats = JsonDocument.Parse(await client.GetStringAsync("/stats")).RootElement;
        Assert.AreEqual(640 + 3200 + files.Length, stats.GetProperty("images").GetInt64(), stats.ToString());
        Assert.IsTrue(stats.GetProperty("largestBatch").GetInt32() > 1, $"requests shared forward passes: {stats}");
    }
}
