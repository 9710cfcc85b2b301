using System.ComponentModel;
using System.Diagnostics;
using MLNet.CSP.Models;
using Spectre.Console.Cli;
using Spectre.Console;
using TorchSharp;

namespace MLNet.CSP.Examples.Commands;

/// <summary>The backbone zoo with parameters, MACs, pretrained input and one timed forward pass each.</summary>
public sealed class ZooCommand : Command<ZooCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--no-forward")]
        [Description("Skip the timed forward pass.")]
        public bool NoForward { get; set; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var table = new Table().Title($"MLNet.CSP backbone zoo (TorchSharp, {torch.get_num_threads()} threads)")
            .AddColumns("name", "params (M)", "GMACs @224", "input", "crop", "interp", "features", "forward ms", "reference");
        foreach (var name in Backbones.Names)
        {
            using var model = Backbones.Create(name);
            var complexity = ModelComplexity.Measure(model, 224, 224);
            var p = model.Pretrained;
            string timing = "";
            if (!settings.NoForward)
            {
                model.OptimizeForInference();
                using var noGrad = torch.no_grad();
                using var scope = torch.NewDisposeScope();
                var x = torch.randn(1, 3, p.InputSize, p.InputSize);
                model.forward(x);
                var watch = Stopwatch.StartNew();
                var logits = model.forward(x);
                timing = $"{watch.Elapsed.TotalMilliseconds:F1}";
                if (logits.shape[1] != 1000) throw new InvalidOperationException("Unexpected logits shape.");
            }
            table.AddRow(name, $"{complexity.Parameters / 1e6:F3}", $"{complexity.Macs / 1e9:F3}", $"{p.InputSize}", $"{p.CropFraction:F3}",
                p.Interpolation.ToString(), $"{model.NumFeatures}", timing, Markup.Escape(Backbones.GetConfig(name).Reference));
        }
        AnsiConsole.Write(table);
        return 0;
    }
}
