// Serves a model zip that MLNet.CSP wrote (a classifier or a detector) over HTTP:
//   dotnet run -c Release --project examples/MLNet.CSP.Web -- --model PATH [--urls http://127.0.0.1:5080] [--max-batch 8]
// GET /health (200 once the model is loaded, 503 before), POST /predict (image bytes or a form field 'image'), GET / (a page).
using System.Diagnostics;
using System.Text.Json;
using MLNet.CSP.Web;

var builder = WebApplication.CreateBuilder(args);
builder.Configuration.AddCommandLine(args, new Dictionary<string, string>
{
    ["--model"] = "Model", ["--max-batch"] = "MaxBatch", ["--max-delay-ms"] = "MaxDelayMs", ["--threads"] = "Threads",
    ["--max-upload-bytes"] = "MaxUploadBytes", ["--max-pixels"] = "MaxPixels", ["--top"] = "Top",
});
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = null); // /predict enforces MaxUploadBytes itself, with a JSON answer
builder.Services.AddSingleton(services =>
{
    var options = services.GetRequiredService<IConfiguration>().Get<ServeOptions>() ?? new ServeOptions();
    if (string.IsNullOrWhiteSpace(options.Model)) throw new ArgumentException("No model to serve: start with --model PATH (a model zip saved by MLNet.CSP).");
    if (!File.Exists(options.Model)) throw new FileNotFoundException($"The model file '{options.Model}' does not exist.", options.Model);
    if (options.MaxBatch < 1 || options.Top < 1 || options.MaxUploadBytes < 1 || options.MaxPixels < 1)
        throw new ArgumentException("--max-batch, --top, --max-upload-bytes and --max-pixels must be at least 1.");
    return options;
});
builder.Services.AddSingleton<ServedModel>();
builder.Services.AddHostedService(services => services.GetRequiredService<ServedModel>());
builder.Services.ConfigureHttpJsonOptions(j => j.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase);

var app = builder.Build();
app.Services.GetRequiredService<ServeOptions>(); // a missing model file stops the start here, with its message
string page;
using (var reader = new StreamReader(typeof(ServeOptions).Assembly.GetManifestResourceStream("index.html")!)) page = reader.ReadToEnd();
app.MapGet("/", () => Results.Content(page, "text/html; charset=utf-8"));

app.MapGet("/health", (ServedModel model) => model.IsReady
    ? Results.Ok(new { status = "ready", kind = model.Kind, classes = model.Classes })
    : Results.Json(new { status = model.LoadError is null ? "loading" : "failed", error = model.LoadError }, statusCode: 503));

app.MapGet("/stats", (ServedModel model) =>
{
    var s = model.Statistics;
    using var process = Process.GetCurrentProcess();
    return Results.Ok(new { images = s.Images, batches = s.Batches, largestBatch = s.LargestBatch, meanBatchSize = s.MeanBatchSize, residentBytes = process.WorkingSet64 });
});

app.MapPost("/predict", async (HttpRequest request, ServedModel model, ServeOptions options, CancellationToken token) =>
{
    if (!model.IsReady) return Results.Json(new { error = model.LoadError ?? "The model is still loading." }, statusCode: 503);
    var (bytes, problem) = await Upload.ReadAsync(request, options, token);
    if (problem is not null) return Results.BadRequest(new { error = problem });
    try
    {
        if (model.Classifier is { } classifier) return Results.Ok(Answers.From(await classifier.PredictAsync(bytes, token), options.Top));
        return Results.Ok(Answers.From(await model.Detector!.PredictAsync(bytes, token)));
    }
    catch (InvalidDataException e)
    {
        return Results.BadRequest(new { error = e.Message }); // passed the header check, failed to decode (cut short, damaged)
    }
}).DisableAntiforgery();

app.Run();

/// <summary>The app's entry point (public for the tests' in-process host).</summary>
public partial class Program;
