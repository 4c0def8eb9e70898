"""The objective expression language, as users read it (--help, README, dialog tooltips)."""

GRAMMAR = """\
  blocks.9                      amplify a layer (mean squared activation)
  blocks.12:17                  one channel of a layer
  blocks.12:17@0.5,0.5          one neuron: a channel at X,Y (fractions of width, height)
  class:goldfish                a class logit, by name (forgiving) or index: class:1, class:"tabby cat"
  guide:"sky.jpg"               a guide picture: see what it shows (add @LAYER to pick the layer)
  0.5*blocks.9 - 0.2*blocks.5   weight terms with NUMBER*, combine with + and -

  Example: "0.5*blocks.9 + blocks.12:17 - 0.2*blocks.5 + class:goldfish"
  Unquoted class names and paths run to the next ' + ' or ' - '; quote them if they contain
  '+', '*' or ' - '. `dreamlayer layers MODEL` lists layer names and channel counts.
"""
