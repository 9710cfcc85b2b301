using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.ML;
using MLNet.CSP.Pipelines.Classification;

namespace MLNet.CSP.Benchmarks;

/// <summary>
/// The web example under load (docs/benchmarks.md "Serving"): <c>serve-model</c> writes a classifier zip to serve (one short fit
/// on synthetic photos, so the numbers are about the serving, not the accuracy); <c>serve-load</c> sends requests from N
/// concurrent clients to a running server and reports throughput, p50/p99 latency and the server's resident memory.
/// </summary>
internal static class ServingLoad
{
    private sealed class Row
    {
        public string ImagePath { get; set; } = "";
        public string Label { get; set; } = "";
    }

    public static void MakeModel(string output, string architecture, int size)
    {
        string folder = SyntheticImages.Write(32, 320, 240);
        var files = Directory.GetFiles(folder, "*.png").Order(StringComparer.Ordinal).ToArray();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(files.Select((f, i) => new Row { ImagePath = f, Label = i % 2 == 0 ? "even" : "odd" }));
        var pipeline = ml.Transforms.LoadImages("Image", null, "ImagePath").Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            .Append(ml.MulticlassClassification.Trainers.CspImageClassification(new CspImageClassificationTrainer.Options
            {
                Architecture = architecture, ImageSize = size, Epochs = 1, BatchSize = 8,
            }));
        var model = pipeline.Fit(data);
        ml.Model.Save(model, data.Schema, output);
        Console.WriteLine($"Wrote {output} ({architecture}, {size}x{size}); serve images from {folder}");
    }

    public static async Task LoadAsync(string url, string imageFolder, int clients, int requests)
    {
        var files = Directory.GetFiles(imageFolder).Where(f => f.EndsWith(".png") || f.EndsWith(".jpg")).Order(StringComparer.Ordinal).Take(64)
            .Select(File.ReadAllBytes).ToArray();
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(5) };
        async Task<double> Post(byte[] bytes)
        {
            using var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            long start = Stopwatch.GetTimestamp();
            using var response = await http.PostAsync("/predict", content);
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync();
            return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        async Task<JsonElement> Stats() => JsonDocument.Parse(await http.GetStringAsync("/stats")).RootElement.Clone();

        async Task Run(double[] latencies)
        {
            int next = -1;
            await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
            {
                for (int i = Interlocked.Increment(ref next); i < latencies.Length; i = Interlocked.Increment(ref next))
                    latencies[i] = await Post(files[i % files.Length]);
            })));
        }
        await Run(new double[Math.Max(8 * clients, 64)]); // warm-up at the same concurrency
        var warm = await Stats();
        var latencies = new double[requests];
        var watch = Stopwatch.StartNew();
        await Run(latencies);
        double seconds = watch.Elapsed.TotalSeconds;
        var after = await Stats();
        Array.Sort(latencies);
        double Percentile(double p) => latencies[Math.Min(requests - 1, (int)Math.Ceiling(p * requests) - 1)];
        long rssWarm = warm.GetProperty("residentBytes").GetInt64(), rssAfter = after.GetProperty("residentBytes").GetInt64();
        long images = after.GetProperty("images").GetInt64() - warm.GetProperty("images").GetInt64();
        long batches = after.GetProperty("batches").GetInt64() - warm.GetProperty("batches").GetInt64();
        Console.WriteLine($"| {clients} | {requests} | {requests / seconds:F1} | {Percentile(0.5):F1} | {Percentile(0.99):F1} | {(double)images / batches:F2} | " +
            $"{rssWarm / 1048576.0:F0} -> {rssAfter / 1048576.0:F0} MB ({100.0 * (rssAfter - rssWarm) / rssWarm:+0.0;-0.0}%) |");
    }
}
