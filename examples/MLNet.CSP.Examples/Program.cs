using MLNet.CSP.Models;
using var m = Backbones.Create("cspresnet50");
foreach (var (k, v) in m.state_dict().Take(12)) Console.WriteLine($"{k} [{string.Join(",", v.shape)}]");
