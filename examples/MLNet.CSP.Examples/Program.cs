using MLNet.CSP.Examples.Commands;
using Spectre.Console.Cli;

// MLNet.CSP example app: train, featurize, predict and list the zoo, offline, on folders of images
// (one sub-folder per class). Without --data it uses the embedded Fashion-MNIST subset in data/.
// Redirected output (logs, CI) has no terminal width: use a wide one so tables keep whole names.
if (Console.IsOutputRedirected) Spectre.Console.AnsiConsole.Profile.Width = 200;
var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("MLNet.CSP.Examples");
    config.AddCommand<TrainCommand>("train").WithDescription("Train a CSP classifier (CspImageClassification) on image folders; metrics, confusion matrix, plots, model zip.");
    config.AddCommand<FeaturizeCommand>("featurize").WithDescription("Frozen backbone: LoadImages -> CspFeaturize -> LbfgsMaximumEntropy on the same folders.");
    config.AddCommand<AutoMLCommand>("automl").WithDescription("Time-budgeted search over CSP backbones and training settings (mlContext.CspAutoML()) with a live table of trials; test metrics, model zip, trials.csv, plots.");
    config.AddCommand<PredictCommand>("predict").WithDescription("Load a saved model zip and classify one image or a folder (top-k with probabilities).");
    config.AddCommand<DetectCommand>("detect").WithDescription("Generate a garment detection set, train CspObjectDetection (EFM neck by default), COCO metrics, pictures with boxes, model zip.");
    config.AddCommand<ExportCommand>("export").WithDescription("Export a saved model's CSP network with its preprocessing to ONNX and check it through ML.NET's ApplyOnnxModel.");
    config.AddCommand<ZooCommand>("zoo").WithDescription("List the backbones with parameters, MACs and input size; time one forward pass each.");
});
return app.Run(args);
